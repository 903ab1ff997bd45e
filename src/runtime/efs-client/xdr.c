/* XDR (RFC 4506): big-endian 32-bit units, opaques padded to 4 bytes. A reader that runs past its end marks itself
 * bad and reads zeros from then on (a malformed reply is an EIO, never a crash). */
#include "efs.h"
#include <stdlib.h>
#include <string.h>

void xb_init(xbuf *b, size_t cap) {
  b->buf = malloc(cap);
  b->len = 0;
  b->cap = cap;
  if (!b->buf) abort();
}

void xb_free(xbuf *b) {
  free(b->buf);
  b->buf = NULL;
  b->len = b->cap = 0;
}

static void grow(xbuf *b, size_t n) {
  if (b->len + n <= b->cap) return;
  while (b->len + n > b->cap) b->cap *= 2;
  b->buf = realloc(b->buf, b->cap);
  if (!b->buf) abort();
}

void xb_u32(xbuf *b, uint32_t v) {
  grow(b, 4);
  b->buf[b->len++] = v >> 24;
  b->buf[b->len++] = v >> 16;
  b->buf[b->len++] = v >> 8;
  b->buf[b->len++] = v;
}

void xb_u64(xbuf *b, uint64_t v) {
  xb_u32(b, v >> 32);
  xb_u32(b, (uint32_t)v);
}

void xb_fixed(xbuf *b, const void *p, size_t n) {
  size_t pad = (4 - n % 4) % 4;
  grow(b, n + pad);
  memcpy(b->buf + b->len, p, n);
  memset(b->buf + b->len + n, 0, pad);
  b->len += n + pad;
}

void xb_opaque(xbuf *b, const void *p, size_t n) {
  xb_u32(b, (uint32_t)n);
  xb_fixed(b, p, n);
}

void xb_str(xbuf *b, const char *s) { xb_opaque(b, s, strlen(s)); }

static int need(xrd *r, size_t n) {
  if (r->bad || r->len - r->at < n) {
    r->bad = 1;
    return 0;
  }
  return 1;
}

uint32_t xr_u32(xrd *r) {
  if (!need(r, 4)) return 0;
  const uint8_t *p = r->p + r->at;
  r->at += 4;
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint64_t xr_u64(xrd *r) {
  uint64_t hi = xr_u32(r);
  return hi << 32 | xr_u32(r);
}

const uint8_t *xr_opaque(xrd *r, uint32_t *n) {
  uint32_t len = xr_u32(r);
  size_t padded = (size_t)len + (4 - len % 4) % 4;
  if (!need(r, padded)) {
    *n = 0;
    return (const uint8_t *)"";
  }
  const uint8_t *p = r->p + r->at;
  r->at += padded;
  *n = len;
  return p;
}

void xr_fixed(xrd *r, void *out, size_t n) {
  size_t padded = n + (4 - n % 4) % 4;
  if (!need(r, padded)) {
    memset(out, 0, n);
    return;
  }
  memcpy(out, r->p + r->at, n);
  r->at += padded;
}

void xr_skip(xrd *r, size_t n) {
  if (need(r, n)) r->at += n;
}
