// Reference for BenchTLS: the same in-memory TLS pair written directly against OpenSSL in C (memory BIOs,
// one thread, client and server in one process). Prints the figures BenchTLS prints, for ratios.
//   tls_membio            throughput (64 KiB writes) and handshakes per second (full, resumed)
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "%s failed\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static void add_ext(X509 *issuer, X509 *subject, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, subject, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext) die("extension");
    X509_add_ext(subject, ext, -1);
    X509_EXTENSION_free(ext);
}

// A certificate for `cn` signed by `issuer` (self-signed when NULL), EC P-256, as BenchTLS's generated CA does.
static X509 *make_certificate(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, long serial) {
    X509 *cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
    if (issuer) {
        add_ext(issuer, cert, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(issuer, cert, NID_subject_alt_name, "DNS:localhost");
    } else {
        add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
    if (!X509_sign(cert, issuer_key, EVP_sha256())) die("X509_sign");
    return cert;
}

static SSL_CTX *client_ctx, *server_ctx;
static SSL_SESSION *cached;

static int new_session(SSL *ssl, SSL_SESSION *session) {
    (void)ssl;
    if (cached) SSL_SESSION_free(cached);
    cached = session;
    return 1;
}

typedef struct { SSL *ssl; BIO *in, *out; } end_t;

static end_t make_end(SSL_CTX *ctx, int client) {
    end_t e;
    e.ssl = SSL_new(ctx);
    e.in = BIO_new(BIO_s_mem());
    e.out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(e.in, -1);
    SSL_set_bio(e.ssl, e.in, e.out);
    if (client) {
        SSL_set_connect_state(e.ssl);
        SSL_set_tlsext_host_name(e.ssl, "localhost");
        SSL_set1_host(e.ssl, "localhost");
    } else {
        SSL_set_accept_state(e.ssl);
    }
    return e;
}

static unsigned char *scratch;
static size_t scratch_size = 1 << 20;

// Moves everything `from` has queued into `to`, through a scratch buffer as a socket would.
static size_t move(end_t *from, end_t *to) {
    size_t pending = BIO_ctrl_pending(from->out), moved = 0;
    while (pending > 0) {
        int n = BIO_read(from->out, scratch, (int)(pending < scratch_size ? pending : scratch_size));
        if (n <= 0) break;
        BIO_write(to->in, scratch, n);
        moved += n;
        pending -= n;
    }
    return moved;
}

static void handshake(end_t *client, end_t *server) {
    int c = 0, s = 0;
    for (int i = 0; i < 100 && !(c == 1 && s == 1); i++) {
        if (c != 1) c = SSL_do_handshake(client->ssl);
        move(client, server);
        if (s != 1) s = SSL_do_handshake(server->ssl);
        move(server, client);
    }
    if (c != 1 || s != 1) die("handshake");
}

static void finish(end_t *client, end_t *server) {
    // Let the client read what the server sent after its handshake (TLS 1.3 tickets).
    unsigned char b[16];
    SSL_read(client->ssl, b, sizeof b);
    // Freed without close_notify, as the engine does: mark the shutdown so the session stays resumable.
    SSL_set_shutdown(client->ssl, SSL_SENT_SHUTDOWN);
    SSL_set_shutdown(server->ssl, SSL_SENT_SHUTDOWN);
    SSL_free(client->ssl);
    SSL_free(server->ssl);
}

int main(void) {
    scratch = malloc(scratch_size);
    EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *key = EVP_EC_gen("P-256");
    X509 *ca = make_certificate("Bench CA", ca_key, NULL, ca_key, 1);
    X509 *cert = make_certificate("localhost", key, ca, ca_key, 2);
    client_ctx = SSL_CTX_new(TLS_client_method());
    server_ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(client_ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(client_ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_options(server_ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(client_ctx), ca);
    SSL_CTX_set_verify(client_ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_use_certificate(server_ctx, cert);
    SSL_CTX_use_PrivateKey(server_ctx, key);
    SSL_CTX_set_session_cache_mode(client_ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(client_ctx, new_session);
    SSL_CTX_set_session_id_context(server_ctx, (const unsigned char *)"bench", 5);

    // Bulk: 64 KiB application writes, client to server, decrypted into a reused buffer.
    end_t client = make_end(client_ctx, 1), server = make_end(server_ctx, 0);
    handshake(&client, &server);
    size_t total = (size_t)1 << 30, chunk = 64 * 1024, sent = 0;
    unsigned char *payload = calloc(1, chunk), *sink = malloc(256 * 1024);
    memset(payload, 0xab, chunk);
    double start = now();
    while (sent < total) {
        for (size_t offset = 0; offset < chunk;) {
            size_t piece = chunk - offset < 16384 ? chunk - offset : 16384;
            int n = SSL_write(client.ssl, payload + offset, (int)piece);
            if (n <= 0) die("SSL_write");
            offset += n;
        }
        move(&client, &server);
        for (;;) {
            int n = SSL_read(server.ssl, sink, 256 * 1024);
            if (n <= 0) break;
        }
        sent += chunk;
    }
    double seconds = now() - start;
    printf("bulk_mb_per_s %.1f\n", total / seconds / 1e6);
    printf("bulk_ns_per_16k_record %.0f\n", seconds * 1e9 / (total / 16384.0));
    finish(&client, &server);

    for (int resumed = 0; resumed <= 1; resumed++) {
        int rounds = resumed ? 2000 : 500;
        start = now();
        for (int i = 0; i < rounds; i++) {
            end_t c = make_end(client_ctx, 1), s = make_end(server_ctx, 0);
            if (resumed && cached) SSL_set_session(c.ssl, cached);
            handshake(&c, &s);
            if (resumed && !SSL_session_reused(c.ssl)) die("resumption");
            finish(&c, &s);
        }
        seconds = now() - start;
        printf("%s_handshake_us %.1f\n", resumed ? "resumed" : "full", seconds * 1e6 / rounds);
    }
    return 0;
}
