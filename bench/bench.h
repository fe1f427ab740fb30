/* bench.h -- what the benchmark drivers share: the arrivals of "bench-N"
 * deliveries at the shared test receiver (tests/receiver.c, counting only,
 * on libmicrohttpd's own epoll thread, in the driver process), and timing
 * helpers. Not thread-safe beyond what is stated: the receiver's thread
 * writes, the driver's thread reads. */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct bench_rx bench_rx;

/* Starts a receiver on 127.0.0.1, a free port; its URL (with path /hook) is
 * written to url. It answers 200 with an empty body to every request. For a
 * POST it counts the request, and when the body's first `"subject":"bench-N"`
 * (in its first 1024 bytes) has N < max_seq, records the arrival time
 * (CLOCK_MONOTONIC, taken when the whole body has arrived) under N. NULL
 * when it cannot listen. */
bench_rx *rx_start(size_t max_seq, char *url, size_t urllen);
/* Stops the receiver and frees it; NULL does nothing. */
void rx_stop(bench_rx *x);

/* Forgets arrivals and zeroes the counters (call while nothing is in flight). */
void rx_reset(bench_rx *x);
/* POSTs received since the last reset. */
uint64_t rx_posts(bench_rx *x);
/* POSTs received since the last reset that carried an X-ZDesk-JWT header. */
uint64_t rx_signed(const bench_rx *x);
/* Arrival time of sequence n in ns, or 0 when it has not arrived. */
int64_t rx_arrival(const bench_rx *x, size_t n);
/* Arrival time of the latest POST in ns, 0 when none. */
int64_t rx_last(const bench_rx *x);
/* Waits until sequence n has arrived or deadline_ns (monotonic) passes.
 * Returns its arrival time, or 0 on timeout. */
int64_t rx_wait_seq(bench_rx *x, size_t n, int64_t deadline_ns);
/* Waits until at least posts POSTs have arrived or deadline_ns passes.
 * Returns the number received. */
uint64_t rx_wait_posts(bench_rx *x, uint64_t posts, int64_t deadline_ns);

/* CLOCK_MONOTONIC in ns. */
int64_t bench_now_ns(void);
/* The p-th percentile (0..100, nearest rank) of v[0..n); sorts v in place.
 * 0 when n is 0. */
double bench_percentile(double *v, size_t n, double p);
/* Median of v[0..n); sorts v in place. */
double bench_median(double *v, size_t n);
/* Parses s as a whole decimal integer in [lo, hi] into *out: 0, or -1 when
 * s is not one (out untouched). */
int bench_number(const char *s, long long lo, long long hi, long long *out);

#endif
