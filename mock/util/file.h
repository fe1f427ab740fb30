/* file.h -- reading a whole file (or what is left of a stream) into memory,
 * and joining paths. Nothing here writes files. */
#ifndef DM_FILE_H
#define DM_FILE_H

#include <stddef.h>
#include <stdio.h>

/* The whole file at path, NUL-terminated, its length in *len when len is not
 * NULL. Owned: free() it. NULL with errno set when the file cannot be opened
 * or read (errno is then the failing call's, or EIO). */
char *dm_read_file(const char *path, size_t *len);

/* What is left of f, as dm_read_file returns it; f stays open (the caller
 * closes it). NULL with errno set on a read error (the read's, or EIO), or
 * with errno EFBIG as soon as more than max bytes have come. Callers that
 * word an open failure and a read failure differently open f themselves. */
char *dm_read_stream(FILE *f, size_t max, size_t *len);

/* dir + "/" + name into out (len bytes, truncated to fit), with exactly
 * one slash between them however many dir ends with ("out/" and "out"
 * both give "out/name"); an empty dir gives name. Returns out. */
char *dm_path_join(char *out, size_t len, const char *dir, const char *name);

#endif
