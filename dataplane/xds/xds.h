/* xds.h — xDS v3 messages from YAML, the proto3 JSON mapping way.
 *
 * meshgate's configuration model is Envoy's xDS API (the subset in proto/).  A
 * bootstrap file carries resources such as `static_resources` written the way
 * Envoy's bootstrap is: the proto3 JSON mapping of the messages, in YAML
 * (snake_case or lowerCamelCase field names, durations as "1.5s", wrapper types
 * as plain scalars, enums by name, `@type` on google.protobuf.Any).  This
 * module decodes such a YAML node into the protobuf-c message for a
 * descriptor, generically: nothing here knows a particular xDS message, so a
 * resource from the file and one from an xDS stream end up as the same C
 * structures.  An invalid resource is rejected with the path to the bad field
 * and its line and column.
 *
 * Messages returned here (and by mg_xds_unpack_any) are allocated with the
 * default protobuf-c allocator: free them with mg_xds_free().  The decoder is
 * reentrant and keeps no global state.
 */
#ifndef MG_XDS_XDS_H
#define MG_XDS_XDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>
#include <yaml.h>

#include "google/protobuf/any.pb-c.h"

/* Prefix of the type URLs meshgate writes, as Envoy does. */
#define MG_XDS_TYPE_URL_PREFIX "type.googleapis.com/"

/* Where and why a decode failed. */
struct mg_xds_err {
	unsigned line;   /* 1-based line of the offending YAML node; 0 if unknown */
	unsigned column; /* 1-based column of that node */
	char path[320];  /* field path, e.g. "clusters[0].load_assignment.cluster_name" */
	char msg[256];   /* what is wrong, e.g. "expected an unsigned integer ..." */
};

/**
 * mg_xds_decode_yaml() - decode a YAML node into a new protobuf-c message.
 * @doc:  the loaded YAML document that holds @node.
 * @node: a mapping in the proto3 JSON form of @desc's message.
 * @desc: descriptor of the message type to build.
 * @path: name of @node for error paths (e.g. "static_resources"); NULL or ""
 *        makes paths start at the message's own fields.
 * @out:  set to the new message on success, to NULL on failure.
 * @err:  filled on failure (may be NULL).
 *
 * Unknown field names, a second member of a oneof, values of the wrong kind or
 * out of range, unknown enum names and unknown `@type`s are errors.  A plain
 * `null` (or empty) value leaves a field at its default.  Everything built so
 * far is freed on failure.
 *
 * Return: 0, -EINVAL for invalid input (with @err set), -ENOMEM.
 */
int mg_xds_decode_yaml(yaml_document_t *doc, yaml_node_t *node,
                       const ProtobufCMessageDescriptor *desc, const char *path,
                       ProtobufCMessage **out, struct mg_xds_err *err);

/**
 * mg_xds_err_format() - render @err as "source:line:col: path: message".
 * @err:    a filled error.
 * @source: the file name to start with (NULL or "" leaves it and the position out).
 * @buf:    output buffer, always NUL-terminated when @len > 0.
 * @len:    size of @buf.
 *
 * Return: the length snprintf() would have produced.
 */
int mg_xds_err_format(const struct mg_xds_err *err, const char *source, char *buf, size_t len);

/**
 * mg_xds_type_lookup() - find a message type meshgate understands.
 * @name: a full message name ("envoy.config.cluster.v3.Cluster") or a type
 *        URL (anything up to the last '/' is ignored, as protobuf does).
 *
 * Every message type of proto/ reachable from the xDS resources, the
 * bootstrap and the discovery messages is known, plus the well-known types.
 *
 * Return: the descriptor, or NULL when the type is unknown.
 */
const ProtobufCMessageDescriptor *mg_xds_type_lookup(const char *name);

/**
 * mg_xds_type_url() - write "type.googleapis.com/<full name>" of @desc to @buf.
 * @desc: message descriptor.
 * @buf:  output buffer.
 * @len:  size of @buf.
 *
 * Return: 0, or -ENOSPC when @buf is too small (it then holds a truncated URL).
 */
int mg_xds_type_url(const ProtobufCMessageDescriptor *desc, char *buf, size_t len);

/**
 * mg_xds_pack_any() - serialize @msg into a new google.protobuf.Any.
 * @msg: the message to pack.
 * @out: set to the new Any (free with mg_xds_free()).
 *
 * Return: 0 or -ENOMEM.
 */
int mg_xds_pack_any(const ProtobufCMessage *msg, Google__Protobuf__Any **out);

/**
 * mg_xds_unpack_any() - decode the message packed in @any.
 * @any:    a google.protobuf.Any.
 * @expect: the type the caller wants, or NULL to accept any known type.
 * @out:    set to the new message (free with mg_xds_free()), NULL on failure.
 *
 * Return: 0; -ENOENT when the type URL names no known type; -EPROTOTYPE when
 * it is not @expect; -EBADMSG when the bytes do not parse.
 */
int mg_xds_unpack_any(const Google__Protobuf__Any *any, const ProtobufCMessageDescriptor *expect,
                      ProtobufCMessage **out);

/**
 * mg_xds_parse_duration() - parse a proto3 JSON duration such as "1.5s".
 * @s:     the text: an optional '-', digits, up to 9 fraction digits, then 's'.
 * @sec:   set to the seconds part.
 * @nanos: set to the nanoseconds part (same sign as @sec).
 *
 * Return: 0, or -EINVAL when @s is not a duration within ±315576000000 s.
 */
int mg_xds_parse_duration(const char *s, int64_t *sec, int32_t *nanos);

/**
 * mg_xds_free() - free a message from this module (NULL is fine).
 * @msg: the message.
 */
void mg_xds_free(ProtobufCMessage *msg);

/**
 * mg_xds_print_json() - write @m as JSON in the proto3 JSON mapping.
 * @f:      where to write.
 * @m:      the message.
 * @pretty: indent two spaces per level and end with a newline; else one line.
 *
 * Field names are the proto (snake_case) names, as in Envoy's config dumps;
 * fields at their default value are left out; Any is written with "@type"
 * and the fields of the message it holds.  The output decodes back, through
 * mg_xds_decode_yaml() (JSON is YAML), into an equal message.
 *
 * Return: 0, -EIO (write error), -ELOOP (nested beyond 64 levels).
 */
int mg_xds_print_json(FILE *f, const ProtobufCMessage *m, bool pretty);

/**
 * mg_xds_to_json() - mg_xds_print_json() into a new string (free() it).
 * Return: the string, or NULL with errno set.
 */
char *mg_xds_to_json(const ProtobufCMessage *m, bool pretty);

#endif /* MG_XDS_XDS_H */
