// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: order statistics over repetitions. Medians, not means: one
 * repetition disturbed by the host (TCG shares two cores with everything
 * else) must not move the reported number.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zcbench.h"

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Linear interpolation between closest ranks (type 7, as R and numpy). */
double st_quantile(const double *v, int n, double q)
{
	double s[ZB_MAX_REPS], pos;
	int i, m = 0;

	for (i = 0; i < n && m < ZB_MAX_REPS; i++)
		if (!isnan(v[i]))
			s[m++] = v[i];
	if (!m)
		return NAN;
	qsort(s, m, sizeof(*s), cmp_dbl);
	pos = q * (m - 1);
	i = (int)pos;
	if (i + 1 >= m)
		return s[m - 1];
	return s[i] + (pos - i) * (s[i + 1] - s[i]);
}

double st_median(const double *v, int n)
{
	return st_quantile(v, n, 0.5);
}

double st_min(const double *v, int n)
{
	return st_quantile(v, n, 0.0);
}

double st_max(const double *v, int n)
{
	return st_quantile(v, n, 1.0);
}
