/* The names in a directory this client made, kept while every change to the directory is this client's own, so a
 * LOOKUP of a name that is not there is answered without the server (the kernel sends one before each create).
 * The server's change attribute is the proof: a create, remove or mkdir in it whose change_info has `before` equal
 * to the change this client last saw moves the names on to `after`; anything else (another client changed the
 * directory, an op not followed here, an answer that contradicts the names) forgets them for good; a LOOKUP sent to
 * the server (the names' time is up) asks the directory's change attribute too, to confirm them. An absence is
 * told at most ATTR_TIMEOUT after the server last showed the directory as this client left it (the kernel keeps a
 * negative entry no longer than that in all), and never later than NAMES_LIFE after the directory was made:
 * ganesha's change_info is not atomic, so a change by another client between its `before` and the op could go
 * unseen, and this bounds how long. */
#include "ops.h"
#include <stdlib.h>
#include <string.h>

#define NAMES_LIFE 3.0
#define NAMES_MAX 65536

struct names {
  uint64_t change;
  double made_at, confirmed_at;
  size_t used, cap; /* used counts removed slots too; cap is a power of two */
  char **slot;      /* NULL: never used; REMOVED: a name was there */
};

static char removed_mark;
#define REMOVED (&removed_mark)

static size_t hash_of(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return (size_t)h;
}

static char **slot_of(struct names *k, const char *name) {
  for (size_t i = hash_of(name) & (k->cap - 1);; i = (i + 1) & (k->cap - 1))
    if (!k->slot[i] || (k->slot[i] != REMOVED && !strcmp(k->slot[i], name))) return &k->slot[i];
}

static void insert(struct names *k, char *name) {
  char **s = slot_of(k, name);
  if (*s) {
    free(name);
    return;
  }
  *s = name;
  k->used++;
}

static void grow(struct names *k) {
  struct names old = *k;
  k->cap = old.cap * 2;
  k->used = 0;
  k->slot = calloc(k->cap, sizeof *k->slot);
  for (size_t i = 0; i < old.cap; i++)
    if (old.slot[i] && old.slot[i] != REMOVED) insert(k, old.slot[i]);
  free(old.slot);
}

void names_free(struct names *k) {
  if (!k) return;
  for (size_t i = 0; i < k->cap; i++)
    if (k->slot[i] != REMOVED) free(k->slot[i]);
  free(k->slot);
  free(k);
}

void names_begin(struct inode *dir, uint64_t change) {
  struct names *k = calloc(1, sizeof *k);
  k->change = change;
  k->made_at = k->confirmed_at = now();
  k->cap = 64;
  k->slot = calloc(k->cap, sizeof *k->slot);
  pthread_mutex_lock(&dir->mu);
  names_free(dir->names);
  dir->names = k;
  pthread_mutex_unlock(&dir->mu);
}

void names_forget(struct inode *dir) {
  pthread_mutex_lock(&dir->mu);
  names_free(dir->names);
  dir->names = NULL;
  pthread_mutex_unlock(&dir->mu);
}

int names_absent(struct inode *dir, const char *name, double *holds) {
  int absent = 0;
  pthread_mutex_lock(&dir->mu);
  struct names *k = dir->names;
  if (k) {
    double t = now(), left = ATTR_TIMEOUT - (t - k->confirmed_at);
    if (NAMES_LIFE - (t - k->made_at) < left) left = NAMES_LIFE - (t - k->made_at);
    if (left > 0 && !*slot_of(k, name)) {
      absent = 1;
      *holds = left;
    }
  }
  pthread_mutex_unlock(&dir->mu);
  return absent;
}

int names_kept(struct inode *dir) {
  pthread_mutex_lock(&dir->mu);
  int kept = dir->names != NULL;
  pthread_mutex_unlock(&dir->mu);
  return kept;
}

void names_check(struct inode *dir, uint64_t change, const char *name, int found) {
  pthread_mutex_lock(&dir->mu);
  struct names *k = dir->names;
  if (k && (change != k->change || found != (*slot_of(k, name) != NULL))) {
    names_free(k);
    dir->names = NULL;
  } else if (k) {
    k->confirmed_at = now();
  }
  pthread_mutex_unlock(&dir->mu);
}

void names_changed(struct inode *dir, uint64_t before, uint64_t after, const char *added, const char *gone) {
  pthread_mutex_lock(&dir->mu);
  struct names *k = dir->names;
  if (k && (before != k->change || k->used >= NAMES_MAX)) {
    names_free(k);
    dir->names = k = NULL;
  }
  if (k) {
    k->change = after;
    k->confirmed_at = now();
    if (gone) {
      char **s = slot_of(k, gone);
      if (*s) {
        free(*s);
        *s = REMOVED;
      }
    }
    if (added) {
      if (2 * (k->used + 1) > k->cap) grow(k);
      insert(k, strdup(added));
    }
  }
  pthread_mutex_unlock(&dir->mu);
}
