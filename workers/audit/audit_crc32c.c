#include "workers/audit/audit_crc32c.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#define POLY 0x82f63b78u /* 0x1EDC6F41 bit-reversed */

static uint32_t TABLE[8][256];
static pthread_once_t TABLE_ONCE = PTHREAD_ONCE_INIT;
static int HAS_HW = -1;

/* Slicing-by-8 (Intel's "Slicing-by-8" paper, Kounavis & Berry): TABLE[k][b] is the
 * CRC of byte b followed by k zero bytes, so eight table lookups fold 8 bytes. */
static void table_init(void)
{
	for (uint32_t b = 0; b < 256; b++) {
		uint32_t c = b;
		for (int i = 0; i < 8; i++)
			c = (c >> 1) ^ (POLY & (0u - (c & 1u)));
		TABLE[0][b] = c;
	}
	for (uint32_t b = 0; b < 256; b++)
		for (int k = 1; k < 8; k++)
			TABLE[k][b] = (TABLE[k - 1][b] >> 8) ^ TABLE[0][TABLE[k - 1][b] & 0xffu];
#if defined(__x86_64__)
	__builtin_cpu_init();
	HAS_HW = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#else
	HAS_HW = 0;
#endif
}

uint32_t audit_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&TABLE_ONCE, table_init);
	const uint8_t *p = buf;
	uint32_t c = ~crc;
	while (len && ((uintptr_t)p & 7u)) {
		c = (c >> 8) ^ TABLE[0][(c ^ *p++) & 0xffu];
		len--;
	}
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8); /* little-endian host (x86-64): byte 0 is the low byte */
		uint32_t lo = c ^ (uint32_t)w;
		uint32_t hi = (uint32_t)(w >> 32);
		c = TABLE[7][lo & 0xffu] ^ TABLE[6][(lo >> 8) & 0xffu] ^
		    TABLE[5][(lo >> 16) & 0xffu] ^ TABLE[4][lo >> 24] ^ TABLE[3][hi & 0xffu] ^
		    TABLE[2][(hi >> 8) & 0xffu] ^ TABLE[1][(hi >> 16) & 0xffu] ^ TABLE[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		c = (c >> 8) ^ TABLE[0][(c ^ *p++) & 0xffu];
	return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc_hw(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t c = ~crc;
	while (len && ((uintptr_t)p & 7u)) {
		c = _mm_crc32_u8((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c = _mm_crc32_u64(c, w);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return ~(uint32_t)c;
}
#endif

int audit_crc32c_has_hw(void)
{
	pthread_once(&TABLE_ONCE, table_init);
	return HAS_HW;
}

uint32_t audit_crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
#if defined(__x86_64__)
	if (audit_crc32c_has_hw())
		return crc_hw(crc, buf, len);
#endif
	return audit_crc32c_sw(crc, buf, len);
}

uint32_t audit_crc32c(uint32_t crc, const void *buf, size_t len)
{
	return audit_crc32c_hw(crc, buf, len);
}
