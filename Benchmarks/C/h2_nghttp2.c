/* nghttp2 (libnghttp2) doing the same in-memory HTTP/2 exchanges as BenchHTTP2, for side-by-side
 * ratios in the same run: a client session and a server session wired back to back with
 * nghttp2_session_mem_send / nghttp2_session_mem_recv, no sockets. The request and response
 * fields, body sizes, settings and windows match BenchHTTP2's.
 *
 * Workloads (one line each on stdout, "<name> <ns per exchange>", CPU time of this thread, best of
 * 11 rounds of about 20 ms):
 *   exchange-get      one GET at a time: request HEADERS, response HEADERS + 100-octet DATA
 *   exchange-get-x8   8 GETs in flight per round on one connection
 *   exchange-post-16k one POST with a 16 KiB body at a time, response as above
 *   client-get        the client alone: a fresh client session replays the server octets that
 *                     BenchHTTP2 recorded for 1000 GETs (argument: the transcript file, chunks of a
 *                     4-octet big-endian length and the octets), per GET */
#include <sys/types.h>
#include <nghttp2/nghttp2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE}

static nghttp2_nv get_fields[] = {
    NV(":method", "GET"), NV(":scheme", "https"), NV(":authority", "api.example.com"), NV(":path", "/v1/items/42"),
    NV("user-agent", "courier-bench/1.0"), NV("accept", "application/json"), NV("accept-encoding", "gzip, br"),
    NV("x-request-id", "6f1c2a7e-3b9d-4f0a-8e55-91d2c4b7a013"),
};
static nghttp2_nv post_fields[] = {
    NV(":method", "POST"), NV(":scheme", "https"), NV(":authority", "api.example.com"), NV(":path", "/v1/items"),
    NV("user-agent", "courier-bench/1.0"), NV("content-type", "application/octet-stream"), NV("content-length", "16384"),
    NV("x-request-id", "6f1c2a7e-3b9d-4f0a-8e55-91d2c4b7a013"),
};
static nghttp2_nv response_fields[] = {
    NV(":status", "200"), NV("content-type", "application/json"), NV("content-length", "100"),
    NV("date", "Tue, 26 Nov 2024 19:41:00 GMT"), NV("server", "bench"), NV("cache-control", "no-store"),
};

static uint8_t payload[16384];

typedef struct {
    size_t remaining;
} body_source;

static body_source upload_sources[8];

static ssize_t read_body(nghttp2_session *session, int32_t stream_id, uint8_t *buf, size_t length, uint32_t *flags,
                         nghttp2_data_source *source, void *user_data) {
    (void)session; (void)stream_id; (void)user_data;
    body_source *body = source->ptr;
    size_t n = body->remaining < length ? body->remaining : length;
    memcpy(buf, payload, n);
    body->remaining -= n;
    if (body->remaining == 0) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static body_source response_sources[1024];
static size_t next_response_source;

typedef struct {
    size_t completed;
    size_t body_octets;
    size_t fields;
} counters;

static int server_on_frame_recv(nghttp2_session *session, const nghttp2_frame *frame, void *user_data) {
    (void)user_data;
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        body_source *body = &response_sources[next_response_source++ % 1024];
        body->remaining = 100;
        nghttp2_data_provider provider = {.source = {.ptr = body}, .read_callback = read_body};
        nghttp2_submit_response(session, frame->hd.stream_id, response_fields, 6, &provider);
    }
    return 0;
}

static int on_header(nghttp2_session *session, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *user_data) {
    (void)session; (void)frame; (void)name; (void)namelen; (void)value; (void)valuelen; (void)flags;
    ((counters *)user_data)->fields++;
    return 0;
}

static int on_data_chunk(nghttp2_session *session, uint8_t flags, int32_t stream_id, const uint8_t *data, size_t len,
                         void *user_data) {
    (void)session; (void)flags; (void)stream_id; (void)data;
    ((counters *)user_data)->body_octets += len;
    return 0;
}

static int client_on_stream_close(nghttp2_session *session, int32_t stream_id, uint32_t error_code, void *user_data) {
    (void)session; (void)stream_id;
    if (error_code != 0) {
        fprintf(stderr, "stream %d closed with %u\n", stream_id, error_code);
        exit(1);
    }
    ((counters *)user_data)->completed++;
    return 0;
}

static nghttp2_session *client, *server;
static counters client_counters, server_counters;

static void pump(nghttp2_session *from, nghttp2_session *to) {
    for (;;) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(from, &data);
        if (n < 0) { fprintf(stderr, "mem_send: %s\n", nghttp2_strerror((int)n)); exit(1); }
        if (n == 0) break;
        ssize_t used = nghttp2_session_mem_recv(to, data, (size_t)n);
        if (used != n) { fprintf(stderr, "mem_recv: %s\n", nghttp2_strerror((int)used)); exit(1); }
    }
}

static void run_until_quiet(void) {
    do {
        pump(client, server);
        pump(server, client);
    } while (nghttp2_session_want_write(client) || nghttp2_session_want_write(server));
}

static void setup(void) {
    nghttp2_session_callbacks *callbacks;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, client_on_stream_close);
    nghttp2_session_client_new(&client, callbacks, &client_counters);
    nghttp2_session_callbacks_del(callbacks);

    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, server_on_frame_recv);
    nghttp2_session_server_new(&server, callbacks, &server_counters);
    nghttp2_session_callbacks_del(callbacks);

    /* The settings and windows BenchHTTP2's connections use by default. */
    nghttp2_settings_entry client_settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0}, {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 65536}};
    nghttp2_settings_entry server_settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}, {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 65536}};
    nghttp2_submit_settings(client, NGHTTP2_FLAG_NONE, client_settings, 3);
    nghttp2_submit_settings(server, NGHTTP2_FLAG_NONE, server_settings, 3);
    nghttp2_session_set_local_window_size(client, NGHTTP2_FLAG_NONE, 0, 4 << 20);
    nghttp2_session_set_local_window_size(server, NGHTTP2_FLAG_NONE, 0, 4 << 20);
    run_until_quiet();
}

static void exchange_get(void) {
    nghttp2_submit_request(client, NULL, get_fields, 8, NULL, NULL);
    run_until_quiet();
}

static void exchange_get_x8(void) {
    for (int i = 0; i < 8; i++) nghttp2_submit_request(client, NULL, get_fields, 8, NULL, NULL);
    run_until_quiet();
}

static void exchange_post(void) {
    upload_sources[0].remaining = sizeof(payload);
    nghttp2_data_provider provider = {.source = {.ptr = &upload_sources[0]}, .read_callback = read_body};
    nghttp2_submit_request(client, NULL, post_fields, 8, &provider, NULL);
    run_until_quiet();
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Best of 11 rounds of about 20 ms, in ns per exchange. */
static double measure(void (*pass)(void), int exchanges_per_pass) {
    long passes = 1;
    for (;;) {
        double start = now_ns();
        for (long i = 0; i < passes; i++) pass();
        if (now_ns() - start > 2e7) break;
        passes *= 2;
    }
    double best = 1e18;
    for (int round = 0; round < 11; round++) {
        double start = now_ns();
        for (long i = 0; i < passes; i++) pass();
        double per = (now_ns() - start) / ((double)passes * exchanges_per_pass);
        if (per < best) best = per;
    }
    return best;
}

static uint8_t **chunks;
static size_t *chunk_lengths;
static size_t chunk_count;

static void load_transcript(const char *path) {
    FILE *file = fopen(path, "rb");
    if (!file) { perror(path); exit(1); }
    size_t capacity = 1024;
    chunks = malloc(capacity * sizeof(*chunks));
    chunk_lengths = malloc(capacity * sizeof(*chunk_lengths));
    uint8_t header[4];
    while (fread(header, 1, 4, file) == 4) {
        size_t length = (size_t)header[0] << 24 | (size_t)header[1] << 16 | (size_t)header[2] << 8 | header[3];
        if (chunk_count == capacity) {
            capacity *= 2;
            chunks = realloc(chunks, capacity * sizeof(*chunks));
            chunk_lengths = realloc(chunk_lengths, capacity * sizeof(*chunk_lengths));
        }
        chunks[chunk_count] = malloc(length ? length : 1);
        if (fread(chunks[chunk_count], 1, length, file) != length) { fprintf(stderr, "short transcript\n"); exit(1); }
        chunk_lengths[chunk_count++] = length;
    }
    fclose(file);
}

static nghttp2_session_callbacks *replay_callbacks;

static void client_replay(void) {
    nghttp2_session *session;
    nghttp2_session_client_new(&session, replay_callbacks, &client_counters);
    nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0}, {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, 65536}};
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings, 3);
    nghttp2_session_set_local_window_size(session, NGHTTP2_FLAG_NONE, 0, 4 << 20);
    for (size_t i = 0; i < chunk_count; i++) {
        if (i > 0) nghttp2_submit_request(session, NULL, get_fields, 8, NULL, NULL);
        for (;;) {
            const uint8_t *data;
            ssize_t n = nghttp2_session_mem_send(session, &data);
            if (n <= 0) break;
        }
        ssize_t used = nghttp2_session_mem_recv(session, chunks[i], chunk_lengths[i]);
        if (used != (ssize_t)chunk_lengths[i]) { fprintf(stderr, "replay: %s\n", nghttp2_strerror((int)used)); exit(1); }
    }
    nghttp2_session_del(session);
}

int main(int argc, char **argv) {
    memset(payload, 'x', sizeof(payload));
    struct {
        const char *name;
        void (*pass)(void);
        int exchanges;
    } workloads[] = {{"exchange-get", exchange_get, 1}, {"exchange-get-x8", exchange_get_x8, 8},
                     {"exchange-post-16k", exchange_post, 1}};
    for (size_t w = 0; w < sizeof(workloads) / sizeof(workloads[0]); w++) {
        setup();
        size_t before = client_counters.completed;
        double ns = measure(workloads[w].pass, workloads[w].exchanges);
        if (client_counters.completed == before) { fprintf(stderr, "no exchange completed\n"); return 1; }
        printf("%s %.1f\n", workloads[w].name, ns);
        nghttp2_session_del(client);
        nghttp2_session_del(server);
    }
    if (argc > 1) {
        load_transcript(argv[1]);
        nghttp2_session_callbacks_new(&replay_callbacks);
        nghttp2_session_callbacks_set_on_header_callback(replay_callbacks, on_header);
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(replay_callbacks, on_data_chunk);
        nghttp2_session_callbacks_set_on_stream_close_callback(replay_callbacks, client_on_stream_close);
        size_t before = client_counters.completed;
        client_replay();
        if (client_counters.completed - before != chunk_count - 1) {
            fprintf(stderr, "replay completed %zu of %zu exchanges\n", client_counters.completed - before, chunk_count - 1);
            return 1;
        }
        printf("client-get %.1f\n", measure(client_replay, (int)(chunk_count - 1)));
    }
    return 0;
}
