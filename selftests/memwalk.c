// SPDX-License-Identifier: GPL-2.0
/*
 * memwalk: a memory-hungry workload that checks every byte it wrote.
 *
 *   memwalk SIZE_MB [PASSES] [PATTERN]
 *
 * Allocates SIZE_MB, fills it with a pattern that depends on the address
 * and the pass, then walks it in the given pattern (seq, reverse, stride,
 * random) verifying every byte and rewriting it for the next pass.  Run
 * it under a cgroup whose memory.max is smaller than SIZE_MB and with swap
 * on a tier, and every page goes to the remote memory and back.  Prints
 * the time per pass; exits 1 on the first mismatch.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096

static inline uint64_t word(uint64_t i, unsigned int pass)
{
	uint64_t x = i * 0x9e3779b97f4a7c15ULL + pass;

	x ^= x >> 29;
	return x * 0xbf58476d1ce4e5b9ULL;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t mult = 2654435761ULL;

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Page visiting order for a pattern. */
static size_t page_at(const char *pattern, size_t k, size_t pages)
{
	if (!strcmp(pattern, "reverse"))
		return pages - 1 - k;
	if (!strcmp(pattern, "stride")) {	/* every 4th page, 4 rounds */
		size_t per = (pages + 3) / 4;

		return (k % per) * 4 + k / per;
	}
	if (!strcmp(pattern, "random"))		/* a fixed permutation */
		return (k * mult + 12345) % pages;
	if (!strcmp(pattern, "interleave"))	/* two scans, taking turns */
		return k % 2 ? pages / 2 + k / 2 : k / 2;
	return k;
}

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
	unsigned int passes = argc > 2 ? strtoul(argv[2], NULL, 0) : 2;
	const char *pattern = argc > 3 ? argv[3] : "seq";
	size_t bytes = mb << 20, pages = bytes / PAGE, words = PAGE / 8;
	unsigned int pass;
	uint64_t *mem;
	double t;
	size_t k, j;

	while (gcd(mult, pages) != 1)	/* k -> k * mult must be one to one */
		mult += 2;
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	t = now();
	for (k = 0; k < pages * words; k++)
		mem[k] = word(k, 0);
	printf("memwalk: filled %zu MiB in %.2fs\n", mb, now() - t);

	for (pass = 1; pass <= passes; pass++) {
		t = now();
		for (k = 0; k < pages; k++) {
			size_t p = page_at(pattern, k, pages);
			uint64_t *w = mem + p * words;

			for (j = 0; j < words; j++) {
				if (w[j] != word(p * words + j, pass - 1)) {
					printf("memwalk: MISMATCH at byte %zu, pass %u: %#llx != %#llx\n",
					       (p * words + j) * 8, pass,
					       (unsigned long long)w[j],
					       (unsigned long long)word(p * words + j, pass - 1));
					return 1;
				}
				w[j] = word(p * words + j, pass);
			}
		}
		printf("memwalk: pass %u (%s) verified %zu MiB in %.2fs\n", pass,
		       pattern, mb, now() - t);
	}
	return 0;
}
