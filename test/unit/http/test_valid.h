/* test_valid.h — the table of valid messages (test_valid.c), shared with other tests. */
#ifndef MG_TEST_VALID_H
#define MG_TEST_VALID_H

#include <stdbool.h>

#include "http/h1.h"

struct valid_msg {
	const char *name;
	enum mg_h1_kind kind;
	enum mg_h1_method methods[4]; /* responses: the requests answered */
	unsigned n_methods;
	const char *text;
	bool eof; /* end with EOF (bodies read until close) */
	const char *expect;
};

extern const struct valid_msg valid_msgs[];
extern const unsigned n_valid_msgs;

#endif /* MG_TEST_VALID_H */
