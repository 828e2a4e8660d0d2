/*
 * check.h - the one assertion of the C test programs: it counts passes and
 * failures and prints the first 50 failures; each program ends by printing
 * "N passed, M failed" (what tests/test_c_core.py reads).
 */
#ifndef MS_TEST_CHECK_H
#define MS_TEST_CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int n_passed = 0, n_failed = 0;

static void check(int ok, const char *fmt, ...)
{
    if (ok) {
        n_passed++;
        return;
    }
    n_failed++;
    if (n_failed <= 50) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "FAIL: ");
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
        va_end(ap);
    }
}

#endif /* MS_TEST_CHECK_H */
