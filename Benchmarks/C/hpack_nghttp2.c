/* nghttp2's HPACK (nghttp2_hd_inflate / nghttp2_hd_deflate) on the workloads BenchHPACK writes, for
 * side-by-side ratios in the same run. Usage: hpack_nghttp2 <workload file>; without an argument it
 * prints a note and exits (BenchHPACK runs it with its workloads).
 *
 * Workload file, whitespace separated:
 *   workload <name> <blocks>
 *   then per block: list <fields>, <fields> x (<name hex> <value hex> <sensitive 0|1>), wire <hex>
 * The first block of each workload starts with size updates 0 and 4096, so decoding the blocks in a
 * loop starts from an empty table every pass; encoding does the same with change_table_size(0, 4096).
 * Output per workload: "decode <name> <ns per block> <fields per pass>" and
 *                      "encode <name> <ns per block> <octets per pass>". */
#include <sys/types.h>
#include <nghttp2/nghttp2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    nghttp2_nv *fields;
    size_t count;
    uint8_t *wire;
    size_t wire_length;
} block;

static uint8_t *from_hex(const char *hex, size_t *length) {
    size_t n = strlen(hex) / 2;
    uint8_t *out = malloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    *length = n;
    return out;
}

/* This thread's CPU time, as BenchHPACK measures (time given to other processes is not counted). */
static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static size_t decode_pass(nghttp2_hd_inflater *inflater, block *blocks, size_t count) {
    size_t fields = 0;
    for (size_t b = 0; b < count; b++) {
        uint8_t *in = blocks[b].wire;
        size_t left = blocks[b].wire_length;
        for (;;) {
            nghttp2_nv nv;
            int flags = 0;
            ssize_t used = nghttp2_hd_inflate_hd2(inflater, &nv, &flags, in, left, 1);
            if (used < 0) {
                fprintf(stderr, "inflate failed: %s\n", nghttp2_strerror((int)used));
                exit(1);
            }
            in += used;
            left -= (size_t)used;
            if (flags & NGHTTP2_HD_INFLATE_EMIT) fields++;
            if (flags & NGHTTP2_HD_INFLATE_FINAL) {
                nghttp2_hd_inflate_end_headers(inflater);
                break;
            }
            if ((flags & NGHTTP2_HD_INFLATE_EMIT) == 0 && left == 0) break;
        }
    }
    return fields;
}

static size_t encode_pass(nghttp2_hd_deflater *deflater, block *blocks, size_t count, uint8_t *out, size_t capacity) {
    size_t octets = 0;
    nghttp2_hd_deflate_change_table_size(deflater, 0);
    nghttp2_hd_deflate_change_table_size(deflater, 4096);
    for (size_t b = 0; b < count; b++) {
        ssize_t written = nghttp2_hd_deflate_hd(deflater, out, capacity, blocks[b].fields, blocks[b].count);
        if (written < 0) {
            fprintf(stderr, "deflate failed: %s\n", nghttp2_strerror((int)written));
            exit(1);
        }
        octets += (size_t)written;
    }
    return octets;
}

/* Best of 11 timings of about 20 ms of CPU time each, in ns per block (as BenchHPACK measures). */
#define MEASURE(result, count, pass_expression)                                      \
    do {                                                                              \
        size_t passes = 1;                                                            \
        for (;;) {                                                                    \
            double start = now_ns();                                                  \
            for (size_t p = 0; p < passes; p++) { pass_expression; }                  \
            double elapsed = now_ns() - start;                                        \
            if (elapsed > 2e7) break;                                                  \
            passes *= 2;                                                              \
        }                                                                             \
        double best = 1e300;                                                          \
        for (int round = 0; round < 11; round++) {                                    \
            double start = now_ns();                                                  \
            for (size_t p = 0; p < passes; p++) { pass_expression; }                  \
            double perBlock = (now_ns() - start) / (double)(passes * (count));        \
            if (perBlock < best) best = perBlock;                                     \
        }                                                                             \
        result = best;                                                                \
    } while (0)

int main(int argc, char **argv) {
    if (argc < 2) {
        printf("hpack_nghttp2: run through BenchHPACK, which passes its workloads (nghttp2 %s)\n",
               nghttp2_version(0)->version_str);
        return 0;
    }
    FILE *file = fopen(argv[1], "r");
    if (!file) {
        perror(argv[1]);
        return 1;
    }
    static char token[1 << 20];
    static char value_token[1 << 20];
    static uint8_t out[1 << 20];
    while (fscanf(file, "%s", token) == 1) {
        if (strcmp(token, "workload") != 0) {
            fprintf(stderr, "bad workload file near %s\n", token);
            return 1;
        }
        char name[256];
        size_t count;
        if (fscanf(file, "%255s %zu", name, &count) != 2) return 1;
        block *blocks = calloc(count, sizeof(block));
        for (size_t b = 0; b < count; b++) {
            size_t fields;
            if (fscanf(file, "%s %zu", token, &fields) != 2 || strcmp(token, "list") != 0) return 1;
            blocks[b].fields = calloc(fields, sizeof(nghttp2_nv));
            blocks[b].count = fields;
            for (size_t f = 0; f < fields; f++) {
                int sensitive;
                if (fscanf(file, "%s %s %d", token, value_token, &sensitive) != 3) return 1;
                nghttp2_nv *nv = &blocks[b].fields[f];
                nv->name = from_hex(strcmp(token, "-") == 0 ? "" : token, &nv->namelen);
                nv->value = from_hex(strcmp(value_token, "-") == 0 ? "" : value_token, &nv->valuelen);
                nv->flags = sensitive ? NGHTTP2_NV_FLAG_NO_INDEX : NGHTTP2_NV_FLAG_NONE;
            }
            if (fscanf(file, "%s %s", token, value_token) != 2 || strcmp(token, "wire") != 0) return 1;
            blocks[b].wire = from_hex(value_token, &blocks[b].wire_length);
        }

        nghttp2_hd_inflater *inflater;
        nghttp2_hd_inflate_new(&inflater);
        size_t fields = decode_pass(inflater, blocks, count);
        double decode_ns;
        MEASURE(decode_ns, count, decode_pass(inflater, blocks, count));
        printf("decode %s %.1f %zu\n", name, decode_ns, fields);
        nghttp2_hd_inflate_del(inflater);

        nghttp2_hd_deflater *deflater;
        nghttp2_hd_deflate_new(&deflater, 4096);
        size_t octets = encode_pass(deflater, blocks, count, out, sizeof(out));
        double encode_ns;
        MEASURE(encode_ns, count, encode_pass(deflater, blocks, count, out, sizeof(out)));
        printf("encode %s %.1f %zu\n", name, encode_ns, octets);
        nghttp2_hd_deflate_del(deflater);
    }
    return 0;
}
