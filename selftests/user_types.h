/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's fixed-size types, for kernel code built into userspace tests. */
#ifndef MTIER_USER_TYPES_H
#define MTIER_USER_TYPES_H

#include <stdbool.h>
#include <stdint.h>

typedef uint64_t u64;
typedef int64_t s64;
typedef uint32_t u32;

#endif
