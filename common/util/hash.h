/* 64-bit FNV-1a, mnemo's one byte-string hash (keys, duplicate keys, idempotency payloads,
 * repeated lines). Stable across runs and builds: some of its values are stored. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define MNEMO_FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define MNEMO_FNV_PRIME UINT64_C(0x100000001b3)

/* murmur3's 64-bit finaliser: for open-addressing tables that index by the low bits,
 * which FNV alone mixes poorly in its last bytes. */
static inline uint64_t
mnemo_mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* h (MNEMO_FNV_OFFSET to start) carried on over p[0..n). */
static inline uint64_t
mnemo_fnv1a64(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h = (h ^ b[i]) * MNEMO_FNV_PRIME;
	}
	return h;
}
