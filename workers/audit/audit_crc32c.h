/*
 * audit_crc32c.h — CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78),
 * the checksum of every journal record and file header.
 *
 * audit_crc32c() picks, once, SSE4.2's CRC32 instruction when the CPU has it
 * (runtime check) and a slicing-by-8 table otherwise; both give identical results
 * (RFC 3720 B.4 test vectors in tests/audit/test_audit_crc32c.c).
 *
 * Convention: crc is the value returned by a previous call (0 to start), so
 * audit_crc32c(audit_crc32c(0, a, n), b, m) == audit_crc32c(0, a||b, n+m).
 * "123456789" gives 0xE3069283. Thread-safe; never allocates.
 */
#ifndef AUDIT_CRC32C_H
#define AUDIT_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t audit_crc32c(uint32_t crc, const void *buf, size_t len);

/* The two implementations, for tests and the benchmark. _hw returns the same as
 * _sw on a CPU without SSE4.2 (it falls back). */
uint32_t audit_crc32c_sw(uint32_t crc, const void *buf, size_t len);
uint32_t audit_crc32c_hw(uint32_t crc, const void *buf, size_t len);
/* 1 when audit_crc32c uses the instruction. */
int audit_crc32c_has_hw(void);

#endif
