// The inbound BIO declared in CCourierOpenSSLShims.h: lent bytes first-hand, leftovers kept.
#include "CCourierOpenSSLShims.h"
#include <pthread.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>

typedef struct {
    const unsigned char *lent;
    size_t lent_count;
    size_t lent_offset;
    unsigned char *kept;
    size_t kept_start;
    size_t kept_end;
    size_t kept_capacity;
    int eof;
} inbound_source;

static size_t inbound_pending(const inbound_source *source) {
    return (source->kept_end - source->kept_start) + (source->lent_count - source->lent_offset);
}

static int inbound_keep(inbound_source *source, const unsigned char *bytes, size_t count) {
    if (count == 0) return 1;
    size_t held = source->kept_end - source->kept_start;
    if (source->kept_capacity - source->kept_end < count) {
        if (source->kept_start > 0) {
            memmove(source->kept, source->kept + source->kept_start, held);
            source->kept_start = 0;
            source->kept_end = held;
        }
        if (source->kept_capacity - held < count) {
            size_t capacity = source->kept_capacity < 16384 ? 16384 : source->kept_capacity;
            while (capacity - held < count) {
                if (capacity > SIZE_MAX / 2) return 0;
                capacity *= 2;
            }
            unsigned char *grown = OPENSSL_realloc(source->kept, capacity);
            if (grown == NULL) return 0;
            source->kept = grown;
            source->kept_capacity = capacity;
        }
    }
    memcpy(source->kept + source->kept_end, bytes, count);
    source->kept_end += count;
    return 1;
}

static int inbound_end_loan(inbound_source *source) {
    const unsigned char *rest = source->lent + source->lent_offset;
    size_t count = source->lent_count - source->lent_offset;
    source->lent = NULL;
    source->lent_count = 0;
    source->lent_offset = 0;
    return inbound_keep(source, rest, count);
}

static int inbound_read(BIO *bio, char *out, size_t wanted, size_t *read_bytes) {
    inbound_source *source = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    size_t copied = 0;
    size_t held = source->kept_end - source->kept_start;
    if (held > 0 && wanted > 0) {
        size_t count = held < wanted ? held : wanted;
        memcpy(out, source->kept + source->kept_start, count);
        source->kept_start += count;
        copied = count;
        if (source->kept_start == source->kept_end) {
            // Read empty: the storage is let go, so an idle connection holds none (leftovers are the end of a
            // read that split a record, and the next read usually completes it).
            OPENSSL_free(source->kept);
            source->kept = NULL;
            source->kept_start = source->kept_end = source->kept_capacity = 0;
        }
    }
    size_t lent = source->lent_count - source->lent_offset;
    if (lent > 0 && copied < wanted) {
        size_t count = lent < wanted - copied ? lent : wanted - copied;
        memcpy(out + copied, source->lent + source->lent_offset, count);
        source->lent_offset += count;
        copied += count;
    }
    *read_bytes = copied;
    if (copied > 0) return 1;
    if (!source->eof) BIO_set_retry_read(bio);
    return 0;
}

static int inbound_write(BIO *bio, const char *bytes, size_t count, size_t *written) {
    (void)bio; (void)bytes; (void)count;
    *written = 0;
    return 0;
}

static long inbound_ctrl(BIO *bio, int command, long number, void *pointer) {
    (void)number; (void)pointer;
    inbound_source *source = BIO_get_data(bio);
    switch (command) {
    case BIO_CTRL_PENDING: return (long)inbound_pending(source);
    case BIO_CTRL_WPENDING: return 0;
    case BIO_CTRL_EOF: return source->eof && inbound_pending(source) == 0;
    case BIO_CTRL_FLUSH: return 1;
    default: return 0;
    }
}

static int inbound_create(BIO *bio) {
    inbound_source *source = OPENSSL_zalloc(sizeof(inbound_source));
    if (source == NULL) return 0;
    BIO_set_data(bio, source);
    BIO_set_init(bio, 1);
    return 1;
}

static int inbound_destroy(BIO *bio) {
    inbound_source *source = BIO_get_data(bio);
    if (source != NULL) {
        OPENSSL_free(source->kept);
        OPENSSL_free(source);
    }
    BIO_set_data(bio, NULL);
    BIO_set_init(bio, 0);
    return 1;
}

static BIO_METHOD *inbound_method;
static pthread_once_t inbound_method_once = PTHREAD_ONCE_INIT;

static void inbound_method_create(void) {
    BIO_METHOD *method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "courier inbound ciphertext");
    if (method == NULL) return;
    if (!BIO_meth_set_read_ex(method, inbound_read) || !BIO_meth_set_write_ex(method, inbound_write)
        || !BIO_meth_set_ctrl(method, inbound_ctrl) || !BIO_meth_set_create(method, inbound_create)
        || !BIO_meth_set_destroy(method, inbound_destroy)) {
        BIO_meth_free(method);
        return;
    }
    inbound_method = method;
}

BIO *courier_inbound_bio_new(void) {
    pthread_once(&inbound_method_once, inbound_method_create);
    return inbound_method == NULL ? NULL : BIO_new(inbound_method);
}

void courier_inbound_bio_lend(BIO *bio, const void *bytes, size_t count) {
    inbound_source *source = BIO_get_data(bio);
    if (source->lent != NULL) (void)inbound_end_loan(source);
    source->lent = bytes;
    source->lent_count = count;
    source->lent_offset = 0;
}

int courier_inbound_bio_end_loan(BIO *bio) {
    return inbound_end_loan(BIO_get_data(bio));
}

int courier_inbound_bio_append(BIO *bio, const void *bytes, size_t count) {
    inbound_source *source = BIO_get_data(bio);
    if (source->lent != NULL && !inbound_end_loan(source)) return 0;
    return inbound_keep(source, bytes, count);
}

size_t courier_inbound_bio_pending(BIO *bio) {
    return inbound_pending(BIO_get_data(bio));
}

size_t courier_inbound_bio_retained(BIO *bio) {
    return ((inbound_source *)BIO_get_data(bio))->kept_capacity;
}

void courier_inbound_bio_set_eof(BIO *bio) {
    ((inbound_source *)BIO_get_data(bio))->eof = 1;
}
