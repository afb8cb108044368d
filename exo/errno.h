/* The kernel's one set of error codes, returned negated; the same numbers as exo/abi.h. */
#ifndef EXO_ERRNO_H
#define EXO_ERRNO_H

#include "exo/abi.h"

enum kernel_error {
	E_OK = 0,
	E_INVAL = EXO_EINVAL,     /* an argument is malformed */
	E_NOMEM = EXO_ENOMEM,     /* no free frame (or no environment id left) */
	E_RANGE = EXO_ERANGE,     /* an address or length is out of range */
	E_EXIST = EXO_EEXIST,     /* something is already there */
	E_NOENT = EXO_ENOENT,     /* something asked for is not there */
	E_CORRUPT = EXO_ECORRUPT, /* a structure from outside the kernel is malformed */
	E_PERM = EXO_EPERM,       /* the caller may not do this */
	E_BUSY = EXO_EBUSY,       /* still in use */
	E_AGAIN = EXO_EAGAIN,     /* nothing there yet, or no room yet */
	E_NOSYS = EXO_ENOSYS,     /* no such call */
	E_FAULT = EXO_EFAULT,     /* a user address is not usable */
	E_QUOTA = EXO_EQUOTA,     /* over quota */
};

#endif
