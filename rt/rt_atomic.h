/*
 * rt_atomic.h — the one header for every cross-process load, store and fence.
 *
 * Everything that lives in the shared-memory segment and is read by another process
 * goes through these helpers; bare `volatile` is never used. They are GCC/Clang
 * __atomic builtins on naturally aligned 32/64-bit words, so they are lock-free and
 * valid across processes that map the same memory (x86-64: plain MOVs, except the
 * sequentially consistent fence).
 *
 * Naming: rt_load_acq_u64 = acquire load, rt_store_rel_u64 = release store,
 * *_rlx = relaxed (no ordering; single-writer counters read by tools).
 */
#ifndef RT_ATOMIC_H
#define RT_ATOMIC_H

#include <stdint.h>

static inline uint64_t rt_load_acq_u64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline uint64_t rt_load_rlx_u64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}
static inline void rt_store_rel_u64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static inline void rt_store_rlx_u64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}
static inline int64_t rt_load_acq_i64(const int64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline int64_t rt_load_rlx_i64(const int64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}
static inline void rt_store_rel_i64(int64_t *p, int64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static inline void rt_store_rlx_i64(int64_t *p, int64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}
static inline uint32_t rt_load_acq_u32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline uint32_t rt_load_rlx_u32(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}
static inline void rt_store_rel_u32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static inline void rt_store_rlx_u32(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* Single-writer increment: the owner is the only writer, so load+store suffices
 * (no locked RMW); readers see a torn-free 64-bit value. */
static inline void rt_counter_add(uint64_t *p, uint64_t n)
{
	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* Polite spin: tells the core we are in a spin-wait loop (PAUSE on x86). */
static inline void rt_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

#endif
