// OpenSSL macros re-exported as functions Swift can call, plus the few callbacks that are simpler in C.
// Only CourierTLS imports this module.
#ifndef C_COURIER_OPENSSL_SHIMS_H
#define C_COURIER_OPENSSL_SHIMS_H
#include <stdint.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

// MARK: - SSL_CTX settings (macros over SSL_CTX_ctrl)

int courier_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version);
int courier_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version);
long courier_SSL_CTX_set_mode(SSL_CTX *ctx, long mode);
long courier_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode);
int courier_SSL_CTX_add1_chain_cert(SSL_CTX *ctx, X509 *cert);

/// The option and mode bits the engine sets (macros built from casts Swift cannot import).
uint64_t courier_SSL_OP_NO_RENEGOTIATION(void);
uint64_t courier_SSL_OP_IGNORE_UNEXPECTED_EOF(void);
uint64_t courier_SSL_OP_NO_TICKET(void);
uint64_t courier_SSL_OP_NO_COMPRESSION(void);
uint64_t courier_SSL_OP_CIPHER_SERVER_PREFERENCE(void);
long courier_SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER(void);
long courier_SSL_MODE_RELEASE_BUFFERS(void);
long courier_SSL_SESS_CACHE_CLIENT(void);
long courier_SSL_SESS_CACHE_SERVER(void);
long courier_SSL_SESS_CACHE_NO_INTERNAL(void);

// MARK: - Per-connection settings and state

int courier_SSL_set_tlsext_host_name(SSL *ssl, const char *name);
int courier_SSL_get_ex_new_index(void);

// MARK: - BIOs

long courier_BIO_get_mem_data(BIO *bio, char **data);

// MARK: - Inbound BIO (CourierInboundBIO.c)

/// A source BIO for received ciphertext that OpenSSL reads without a copy into a memory BIO first: the
/// driver lends it the bytes of a socket read for the duration of a decrypt pass, and only what the pass
/// leaves unread (a partial record) is copied into the BIO's own storage. Reading with nothing available
/// asks to retry, until `courier_inbound_bio_set_eof`.
BIO *courier_inbound_bio_new(void);
/// Lends `count` bytes at `bytes`, read after anything already held; they must stay valid and unchanged
/// until `courier_inbound_bio_end_loan`. A loan still open is ended first.
void courier_inbound_bio_lend(BIO *bio, const void *bytes, size_t count);
/// Ends the loan: unread lent bytes are copied into the BIO's storage. Returns 0 when memory ran out.
int courier_inbound_bio_end_loan(BIO *bio);
/// Copies `count` bytes into the BIO's storage, after everything held or lent. Returns 0 when memory ran out.
int courier_inbound_bio_append(BIO *bio, const void *bytes, size_t count);
/// Bytes held or lent and not yet read.
size_t courier_inbound_bio_pending(BIO *bio);
/// Bytes of storage held for kept ciphertext: 0 whenever everything kept has been read.
size_t courier_inbound_bio_retained(BIO *bio);
/// No more bytes will come: once the pending ones are read, reads report the end of the stream.
void courier_inbound_bio_set_eof(BIO *bio);

/// The certificates and CRLs held by a store (sk_X509_OBJECT_num is a macro).
int courier_X509_STORE_object_count(X509_STORE *store);

// MARK: - Errors

int courier_ERR_GET_LIB(unsigned long code);
int courier_ERR_GET_REASON(unsigned long code);

// MARK: - Keys

/// Generates an EC key on the named curve (EVP_EC_gen is a variadic macro).
EVP_PKEY *courier_EVP_EC_gen(const char *curve);

// MARK: - Verification

/// Sets the verify mode with a callback that keeps, on the SSL, the leaf of the chain being verified
/// and the first certificate that failed, so a failed handshake can still say what the peer presented.
/// The callback never changes the verdict.
void courier_SSL_CTX_set_verify(SSL_CTX *ctx, int mode);
/// The leaf certificate seen by the verify callback, or NULL (borrowed; owned by the SSL).
X509 *courier_SSL_get0_verified_leaf(const SSL *ssl);
/// The first certificate the verify callback saw fail (leaf or CA), or NULL (borrowed; owned by the SSL).
X509 *courier_SSL_get0_failed_certificate(const SSL *ssl);

#endif
