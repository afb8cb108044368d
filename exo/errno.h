/* The kernel's one set of error codes, returned negated. */
#ifndef EXO_ERRNO_H
#define EXO_ERRNO_H

enum exo_error {
	E_OK = 0,
	E_INVAL = 1,   /* an argument is malformed */
	E_NOMEM = 2,   /* no free frame or table */
	E_RANGE = 3,   /* an address or length is out of range */
	E_EXIST = 4,   /* something is already there */
	E_NOENT = 5,   /* something asked for is not there */
	E_CORRUPT = 6, /* a structure from outside the kernel is malformed */
	E_PERM = 7,    /* the caller may not do this */
};

const char *exo_strerror(int err);

#endif
