/* Reference timings for the HTTP/1.1 benchmark: nodejs/http-parser 2.9 (Debian's libhttp-parser-dev)
 * parsing the same inputs as Benchmarks/Sources/BenchHTTP1.
 *
 * Usage: http1_http_parser [HEAD_FILE CHUNKED_FILE...]
 * Each file is parsed as one response, repeatedly; the best of several rounds is printed as
 * "<file> <ns per parse>". The callbacks record every field name and value as (offset, length) into a
 * fixed array and sum the body lengths, which is the work the Swift parser does too. Without
 * arguments it builds the typical 405-byte head itself. */
#define _POSIX_C_SOURCE 200809L
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct span { size_t offset, length; };
static const char *input_base;
static struct span names[256], values[256];
static int name_count, value_count, complete;
static size_t body_bytes;

static int on_header_field(http_parser *p, const char *at, size_t length) {
    (void)p;
    if (name_count < 256) { names[name_count].offset = (size_t)(at - input_base); names[name_count].length = length; }
    name_count++;
    return 0;
}
static int on_header_value(http_parser *p, const char *at, size_t length) {
    (void)p;
    if (value_count < 256) { values[value_count].offset = (size_t)(at - input_base); values[value_count].length = length; }
    value_count++;
    return 0;
}
static int on_body(http_parser *p, const char *at, size_t length) { (void)p; (void)at; body_bytes += length; return 0; }
static int on_message_complete(http_parser *p) { (void)p; complete = 1; return 0; }

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static char *read_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (!file) { perror(path); exit(1); }
    fseek(file, 0, SEEK_END);
    *size = (size_t)ftell(file);
    fseek(file, 0, SEEK_SET);
    char *data = malloc(*size);
    if (fread(data, 1, *size, file) != *size) { perror(path); exit(1); }
    fclose(file);
    return data;
}

static double bench(const char *data, size_t size) {
    http_parser_settings settings;
    http_parser_settings_init(&settings);
    settings.on_header_field = on_header_field;
    settings.on_header_value = on_header_value;
    settings.on_body = on_body;
    settings.on_message_complete = on_message_complete;
    http_parser parser;
    input_base = data;
    /* Check once that the input parses completely. */
    http_parser_init(&parser, HTTP_RESPONSE);
    complete = 0;
    if (http_parser_execute(&parser, &settings, data, size) != size || !complete) {
        fprintf(stderr, "http-parser failed: %s\n", http_errno_name(HTTP_PARSER_ERRNO(&parser)));
        exit(1);
    }
    long iterations = 1;
    double best = 1e300;
    /* Calibrate to about 50 ms per round, then keep the best of 9 rounds. */
    for (;;) {
        double start = now_ns();
        for (long i = 0; i < iterations; i++) {
            http_parser_init(&parser, HTTP_RESPONSE);
            name_count = value_count = 0;
            body_bytes = 0;
            http_parser_execute(&parser, &settings, data, size);
        }
        if (now_ns() - start > 5e7) break;
        iterations *= 2;
    }
    for (int round = 0; round < 9; round++) {
        double start = now_ns();
        for (long i = 0; i < iterations; i++) {
            http_parser_init(&parser, HTTP_RESPONSE);
            name_count = value_count = 0;
            body_bytes = 0;
            http_parser_execute(&parser, &settings, data, size);
        }
        double per = (now_ns() - start) / (double)iterations;
        if (per < best) best = per;
    }
    return best;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        static const char head[] =
            "HTTP/1.1 200 OK\r\nDate: Wed, 26 Nov 2025 19:39:00 GMT\r\nContent-Type: application/json; charset=utf-8\r\n"
            "Content-Length: 0\r\nConnection: keep-alive\r\nServer: nginx/1.22.1\r\n"
            "Cache-Control: no-cache, no-store, must-revalidate\r\nETag: \"5f3a9c2b-1a2b\"\r\nVary: Accept-Encoding\r\n"
            "X-Request-Id: 8a7f3c2e-4b1d-4e6f-9a0b-1c2d3e4f5a6b\r\n"
            "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\nX-Frame-Options: DENY\r\n\r\n";
        printf("http-parser %d.%d.%d head (%zu bytes): %.1f ns\n", HTTP_PARSER_VERSION_MAJOR,
               HTTP_PARSER_VERSION_MINOR, HTTP_PARSER_VERSION_PATCH, sizeof head - 1, bench(head, sizeof head - 1));
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        size_t size;
        char *data = read_file(argv[i], &size);
        printf("%s %.3f\n", argv[i], bench(data, size));
        free(data);
    }
    return 0;
}
