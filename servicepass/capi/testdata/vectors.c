/* vectors.c runs servicepass's code vectors through the C ABI
 * (libmdmcredsp, docs/servicepass-capi.md). capi_test.go writes its input:
 *
 *   V <name> <provisioning file, hex>      a fresh device, in memory
 *   S verify <code, hex> <now_ms> <want>   verify, want a result code
 *   S window - <now_ms> <want>             poll the window, want ok or state-lost
 *
 * It prints each mismatch and "steps N failed M", and exits 1 on any
 * mismatch or error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libmdmcredsp.h"

static int unhex(const char *s, char *out, int max) {
	int n = 0;
	while (s[0] && s[1] && n < max) {
		unsigned v;
		if (sscanf(s, "%2x", &v) != 1) return -1;
		out[n++] = (char)v;
		s += 2;
	}
	return n;
}

int main(int argc, char **argv) {
	if (argc != 2) { fprintf(stderr, "usage: vectors INPUT\n"); return 2; }
	FILE *f = fopen(argv[1], "r");
	if (!f) { perror(argv[1]); return 2; }
	static char line[8192], name[256], a[4096], b[4096], want[64];
	static char prov[4096], code[2048], err[512], ack[64];
	uintptr_t h = 0;
	int steps = 0, failed = 0, vectors = 0;
	long long now;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == 'V') {
			if (h && mdmcred_sp_close(h) != 0) { printf("close failed\n"); failed++; }
			if (sscanf(line, "V %255s %4095s", name, a) != 2) { fprintf(stderr, "bad line: %s", line); return 2; }
			int n = unhex(a, prov, sizeof prov);
			err[0] = 0;
			h = mdmcred_sp_open(prov, n, NULL, err, sizeof err);
			if (!h) { printf("%s: open: %s\n", name, err); return 1; }
			vectors++;
		} else if (line[0] == 'S') {
			if (sscanf(line, "S %63s %4095s %lld %63s", b, a, &now, want) != 4) { fprintf(stderr, "bad line: %s", line); return 2; }
			steps++;
			if (strcmp(b, "verify") == 0) {
				int n = unhex(a, code, sizeof code - 1);
				code[n < 0 ? 0 : n] = 0;
				mdmcred_sp_result_t r;
				if (mdmcred_sp_verify(h, code, now, &r) != 0) { printf("%s step %d: verify returned -1\n", name, steps); failed++; continue; }
				if (strcmp(r.outcome, want) != 0 || r.granted != (strcmp(r.outcome, "granted") == 0)) {
					printf("%s step %d: got %s (%s), want %s\n", name, steps, r.outcome, r.detail, want);
					failed++;
				}
			} else {
				mdmcred_sp_window_t w;
				if (mdmcred_sp_window(h, now, &w) != 0) { printf("%s step %d: window returned -1\n", name, steps); failed++; continue; }
				const char *got = w.state_lost ? "state-lost" : "ok";
				if (strcmp(got, want) != 0) { printf("%s step %d: window %s, want %s\n", name, steps, got, want); failed++; }
			}
		}
	}
	fclose(f);
	/* The last device: the window routine and the use log through the ABI. */
	mdmcred_sp_window_t w;
	if (mdmcred_sp_window(h, now, &w) != 0) { printf("window: -1\n"); failed++; }
	if (mdmcred_sp_clear_window(h, ack, sizeof ack) != 0 || strcmp(ack, "done") != 0) { printf("clear_window: %s\n", ack); failed++; }
	int n = mdmcred_sp_use_log(h, a, sizeof a);
	if (n < 0 || n >= (int)sizeof a || strstr(a, "\"entries\"") == NULL) { printf("use_log: %d %s\n", n, a); failed++; }
	char small[4];
	if (mdmcred_sp_use_log(h, small, sizeof small) != n || strlen(small) != 3) { printf("use_log truncation\n"); failed++; }
	if (mdmcred_sp_new_challenge(h, 1000, b, sizeof b) != 0 || strlen(b) != 11) { printf("new_challenge: %s\n", b); failed++; }
	mdmcred_sp_result_t r;
	if (mdmcred_sp_verify_response(h, "0000-0000-0000-0000", now, 2000, &r) != 0 || strcmp(r.outcome, "granted") == 0) { printf("verify_response: %s\n", r.outcome); failed++; }
	/* Misuse: a closed, zero or foreign handle and NULL arguments are -1. */
	if (mdmcred_sp_close(h) != 0) { printf("close failed\n"); failed++; }
	if (mdmcred_sp_verify(h, "X", now, &r) != -1 || mdmcred_sp_verify(0, "X", now, &r) != -1 ||
	    mdmcred_sp_verify(12345, "X", now, &r) != -1 || mdmcred_sp_close(h) != -1) { printf("stale handle accepted\n"); failed++; }
	if (mdmcred_sp_open(NULL, 0, NULL, err, sizeof err) != 0 || strlen(err) == 0) { printf("open(NULL) accepted\n"); failed++; }
	if (mdmcred_sp_open("garbage", 7, NULL, NULL, 0) != 0) { printf("open(garbage) accepted\n"); failed++; }
	printf("vectors %d steps %d failed %d\n", vectors, steps, failed);
	return failed ? 1 : 0;
}
