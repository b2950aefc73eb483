// OpenSSL macros re-exported as functions Swift can call. Only CourierTLS imports this module.
#ifndef C_COURIER_OPENSSL_SHIMS_H
#define C_COURIER_OPENSSL_SHIMS_H
#include <openssl/ssl.h>

/// SSL_CTX_set_min_proto_version is a macro.
int courier_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version);

#endif
