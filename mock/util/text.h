/* text.h -- small string helpers the validators, the linter and the API
 * share: "did you mean" distances, display paths for messages, repeated
 * names, comma lists, the shapes of digits, UTF-8 lengths and emails.
 * Stateless; only dm_path_* hand back memory. */
#ifndef DM_TEXT_H
#define DM_TEXT_H

#include <stddef.h>

/* The longest name, in bytes, dm_edit_distance measures. */
#define DM_EDIT_MAX 63

/* Levenshtein distance between a and b, ASCII case-insensitive; SIZE_MAX
 * when either is longer than DM_EDIT_MAX bytes (no near miss is that long,
 * and the cost stays bounded). */
size_t dm_edit_distance(const char *a, const char *b);

/* Display paths for messages, as jq writes them: parent.key when key is a
 * plain name (a letter, _ or $, then also digits and -; at most 64 bytes),
 * else parent["odd key"] with the key quoted as dm_buf_json_str_max(quote_max)
 * does. An empty parent gives the key alone. Owned: free() it. */
char *dm_path_key(const char *parent, const char *key, size_t quote_max);
/* parent[i]. Owned: free() it. */
char *dm_path_index(const char *parent, size_t i);

/* first[i] = the index of the first of names[0..n) equal to names[i], i itself
 * when no earlier one is; NULL names equal nothing. Sorts: O(n log n). first
 * holds n entries; names and first are the caller's. */
void dm_find_repeats(const char *const *names, size_t n, size_t *first);

/* 1 when item is one of list's comma-separated entries ("a,b"), else 0. */
int dm_list_has(const char *list, const char *item);

/* 1 when s is one or more ASCII digits and nothing else. */
int dm_all_digits(const char *s);
/* Characters in UTF-8 text s: bytes that are not continuation bytes. */
size_t dm_utf8_chars(const char *s);
/* 1 when s looks like an email address: one @ with text on both sides, no
 * spaces or angle brackets. */
int dm_email_valid(const char *s);

#endif
