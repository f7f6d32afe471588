// SPDX-License-Identifier: GPL-2.0
/*
 * zcbench: the JSON lines schema. One table drives the writer, the reader
 * (zcbench report) and `zcbench help json`, so the three cannot drift.
 * Every object is flat (jq-friendly); a number that was not measured is
 * null, never 0.
 */
#include "zcbench.h"

#define S(n, d) { #n, F_STR, offsetof(struct result, n), sizeof(((struct result *)0)->n), d }
#define U(n, d) { #n, F_U64, offsetof(struct result, n), 0, d }
#define D(n, d) { #n, F_DBL, offsetof(struct result, n), 0, d }

const struct field zb_fields[] = {
	S(where, "vm (the QEMU guest, host-timed), vm-icount (the guest under qemu/run.sh --deterministic: instruction-counted time), native (the host it ran on), or what ZCBENCH_WHERE said (zcbench-engines.sh: arm-ENGINE)"),
	S(workload, "file2sock, fanout, file2file, storage, dma, capture; dmatest for zcbench dma --json"),
	S(method, "technique, see zcbench list"),
	S(path, "loop (127.0.0.1), nic (the VM's NIC pair) or local (no socket)"),
	U(size, "bytes per transfer (file size), per receiver; capture: bytes of one frame (--size WxH: W*H*2, YUYV), delivered once per frame of a transfer"),
	U(bufsize, "bytes per request (read/write/send/DMA segment)"),
	S(status, "ok, fail (data wrong or error: zcbench exits non-zero) or unavailable"),
	S(reason, "why unavailable or failed"),
	S(source, "where the payload starts"),
	S(kernel, "uname -r"),
	S(accel, "tcg (QEMU without KVM), kvm, none (bare metal), unknown"),
	S(net, "what carried the path: loopback, nic (vnet_hdr taps, offloads) or hub (no offloads)"),
	S(copies_note, "why copy counts are missing, or their caveat"),
	S(note, "the method's own word on its configuration (capture: frame size, frame rate, the frame checksum every frame matched); empty for most"),
	S(engine, "DMA methods: the driver of the device zcdev's channels belong to (zcdma, dma-pl330, ...); empty for the others"),
	S(pinning, "nic path: the CPUs the sender thread and the receivers ran on, pinned (sender cpuN, receivers cpuM) where qemu/guest/net-nic.sh gave each NIC's interrupts a CPU of its own; none where it did not (one CPU, or no such setup); empty on other paths"),
	S(events_note, "zcdev trace events (zcdev_send_complete, zcdev_dma_end) of the counting run (zcbench dma: of the whole run) against the completions and waits of the same run: agrees, DISAGREES (with both counts), or unavailable and why; empty for methods without them"),
	D(cpus, "online CPUs"),
	D(mem_mb, "memory, MiB"),
	D(host_load, "1-min load average of the physical host when the run started (VM: passed in by the host); above its CPU count, timings are contended"),
	D(reps, "timed repetitions (after one untimed counting run)"),
	D(mbps, "throughput, median, MB/s (10^6 bytes delivered per second)"),
	D(mbps_min, "throughput, slowest repetition"),
	D(mbps_max, "throughput, fastest repetition"),
	D(mbps_q1, "throughput, first quartile"),
	D(mbps_q3, "throughput, third quartile"),
	D(secs, "seconds per transfer, median"),
	D(snd_usr_gib, "sender user CPU seconds per GiB delivered"),
	D(snd_sys_gib, "sender system CPU seconds per GiB delivered"),
	D(rcv_usr_gib, "receivers' user CPU seconds per GiB"),
	D(rcv_sys_gib, "receivers' system CPU seconds per GiB"),
	D(sys_cpu_gib, "all CPUs busy seconds per GiB (/proc/stat; includes kworkers, softirq)"),
	D(cpu_busy, "all CPUs' busy share over each repetition (/proc/stat ticks, 10 ms: meaningful for transfers of a second or more), median; 1 = every CPU busy throughout"),
	D(cpu_busy_snd, "nic path, pinned: busy share of the sender's CPU (its NIC's interrupts included), median"),
	D(cpu_busy_rcv, "nic path, pinned: busy share of the receivers' CPU (the peer NIC's interrupts included), median"),
	D(syscalls_gib, "sender system calls per GiB, counted by the harness"),
	D(ksyscalls_gib, "sender system calls per GiB, counted by the kernel (counting run)"),
	D(syscalls_per_call, "sender system calls per request of bufsize bytes (capture: per frame)"),
	D(vcsw_gib, "sender voluntary context switches per GiB"),
	D(ivcsw_gib, "sender involuntary context switches per GiB"),
	D(faults, "sender page faults per transfer"),
	D(faults_gib, "sender page faults per GiB"),
	D(cp_snd_user, "bytes the CPU copied user<->kernel in the sender, per byte delivered (kprobes)"),
	D(cp_snd_kern, "bytes copied kernel<->kernel in the sender's context, per byte"),
	D(cp_rcv_user, "bytes copied user<->kernel in the receivers, per byte"),
	D(cp_rcv_kern, "bytes copied kernel<->kernel in the receivers' context, per byte"),
	D(cp_other, "bytes copied in other tasks (softirq threads, kworkers), per byte"),
	D(cp_ubufs, "bytes of zero-copy sends copied by skb_copy_ubufs, per byte"),
	D(cp_umode, "bytes the method copied itself in user space (memcpy), per byte; counted by the harness"),
	D(cp_total, "all CPU-copied bytes per byte delivered"),
	D(zc_share, "share of bytes the completions report as sent without a copy"),
	D(zc_bytes, "bytes completed zero-copy"),
	D(copied_bytes, "bytes completed as copied"),
	D(ceiling_mbps, "single-core memcpy bandwidth in the same run, MB/s"),
	D(verified, "1 if every repetition's data was verified"),
	D(tests, "dma workload: requests (transfers or memcpy calls) over all runs, all verified"),
	D(failures, "dma workload: requests that failed (any fails the configuration: 0 when ok)"),
	D(iops, "dma workload: requests per second, median run"),
	D(files, "zcbench dma: files (opens of /dev/zcdev, one thread each) moving data at once"),
	D(channels, "zcbench dma: DMA channels zcdev uses (ZCDEV_IOC_DMA_STATS nr_channels)"),
	D(lat_us, "zcbench dma --table: mean engine time per DMA transfer, microseconds (DMA_WAIT engine_ns: from the head of the channel's queue to the completion)"),
	D(fps, "capture workload: frames per second (median throughput / frame bytes); vivid's pace, the same for every method"),
	D(ev_zc_sends, "zcdev_send_complete events with copied=0, counting run"),
	D(ev_copied_sends, "zcdev_send_complete events with copied=1, counting run"),
	D(ev_zc_share, "share of bytes the zcdev_send_complete events call zero-copy (next to zc_share, from the completions)"),
	D(ev_dma_done, "zcdev_dma_end events with status DONE, counting run"),
	D(ev_dma_other, "zcdev_dma_end events with any other status (ERROR, TIMEDOUT, CANCELLED)"),
};
const int zb_nfields = sizeof(zb_fields) / sizeof(zb_fields[0]);
