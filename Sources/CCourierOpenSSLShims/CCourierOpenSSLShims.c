#include "CCourierOpenSSLShims.h"
#include <pthread.h>
#include <openssl/err.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

int courier_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

int courier_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}

long courier_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }

long courier_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}

int courier_SSL_CTX_add1_chain_cert(SSL_CTX *ctx, X509 *cert) { return (int)SSL_CTX_add1_chain_cert(ctx, cert); }

uint64_t courier_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
uint64_t courier_SSL_OP_IGNORE_UNEXPECTED_EOF(void) { return SSL_OP_IGNORE_UNEXPECTED_EOF; }
uint64_t courier_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }
uint64_t courier_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
uint64_t courier_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }
long courier_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER(void) { return SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER; }
long courier_SSL_MODE_RELEASE_BUFFERS(void) { return SSL_MODE_RELEASE_BUFFERS; }
long courier_SSL_SESS_CACHE_CLIENT(void) { return SSL_SESS_CACHE_CLIENT; }
long courier_SSL_SESS_CACHE_SERVER(void) { return SSL_SESS_CACHE_SERVER; }
long courier_SSL_SESS_CACHE_NO_INTERNAL(void) { return SSL_SESS_CACHE_NO_INTERNAL; }

int courier_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

int courier_SSL_get_ex_new_index(void) { return SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL); }

long courier_BIO_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }

int courier_X509_STORE_object_count(X509_STORE *store) { return sk_X509_OBJECT_num(X509_STORE_get0_objects(store)); }

int courier_ERR_GET_LIB(unsigned long code) { return ERR_GET_LIB(code); }
int courier_ERR_GET_REASON(unsigned long code) { return ERR_GET_REASON(code); }

EVP_PKEY *courier_EVP_EC_gen(const char *curve) { return EVP_EC_gen(curve); }

// MARK: - Verification

static int leaf_index = -1;
static int failed_index = -1;
static pthread_once_t indexes_once = PTHREAD_ONCE_INIT;

static void certificate_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp) {
    (void)parent; (void)ad; (void)idx; (void)argl; (void)argp;
    X509_free((X509 *)ptr);
}

static void indexes_init(void) {
    leaf_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, certificate_free);
    failed_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, certificate_free);
}

/// Keeps one reference to `cert` in the SSL's ex_data slot `index`, dropping the previous one.
static void keep(SSL *ssl, int index, X509 *cert) {
    X509 *previous = SSL_get_ex_data(ssl, index);
    if (previous == cert || X509_up_ref(cert) != 1) return;
    if (SSL_set_ex_data(ssl, index, cert) != 1) { X509_free(cert); return; }
    X509_free(previous);
}

static int verify_callback(int ok, X509_STORE_CTX *store) {
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    if (ssl == NULL || leaf_index < 0 || failed_index < 0) return ok;
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    if (leaf != NULL) keep(ssl, leaf_index, leaf);
    X509 *current = X509_STORE_CTX_get_current_cert(store);
    if (!ok && current != NULL && SSL_get_ex_data(ssl, failed_index) == NULL) keep(ssl, failed_index, current);
    return ok;
}

void courier_SSL_CTX_set_verify(SSL_CTX *ctx, int mode) {
    pthread_once(&indexes_once, indexes_init);
    SSL_CTX_set_verify(ctx, mode, verify_callback);
}

X509 *courier_SSL_get0_verified_leaf(const SSL *ssl) {
    pthread_once(&indexes_once, indexes_init);
    return leaf_index < 0 ? NULL : SSL_get_ex_data(ssl, leaf_index);
}

X509 *courier_SSL_get0_failed_certificate(const SSL *ssl) {
    pthread_once(&indexes_once, indexes_init);
    return failed_index < 0 ? NULL : SSL_get_ex_data(ssl, failed_index);
}
