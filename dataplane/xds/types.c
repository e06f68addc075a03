/* types.c — the message types meshgate knows, Any packing, durations, errors.
 *
 * protobuf-c has no descriptor pool, so the registry is the set of message
 * types reachable through fields from a few roots (the bootstrap, the
 * discovery messages and the filter configs that travel in an Any), plus the
 * well-known types.  It is walked on each lookup: lookups happen when config
 * is loaded, there are about a hundred types, and there is no state to share
 * between threads.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/config/bootstrap/v3/bootstrap.pb-c.h"
#include "envoy/extensions/filters/http/router/v3/router.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb-c.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "xds/xds.h"
#include "xds/xds_pvt.h"

#define MAX_TYPES 512

static const ProtobufCMessageDescriptor *const roots[] = {
    &envoy__config__bootstrap__v3__bootstrap__descriptor,
    &envoy__service__discovery__v3__discovery_request__descriptor,
    &envoy__service__discovery__v3__discovery_response__descriptor,
    &envoy__service__discovery__v3__delta_discovery_request__descriptor,
    &envoy__service__discovery__v3__delta_discovery_response__descriptor,
    &envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__descriptor,
    &envoy__extensions__filters__network__tcp_proxy__v3__tcp_proxy__descriptor,
    &envoy__extensions__filters__http__router__v3__router__descriptor,
    &google__protobuf__any__descriptor,
    &google__protobuf__duration__descriptor,
    &google__protobuf__struct__descriptor,
    &google__protobuf__double_value__descriptor,
    &google__protobuf__float_value__descriptor,
    &google__protobuf__int64_value__descriptor,
    &google__protobuf__uint64_value__descriptor,
    &google__protobuf__int32_value__descriptor,
    &google__protobuf__uint32_value__descriptor,
    &google__protobuf__bool_value__descriptor,
    &google__protobuf__string_value__descriptor,
    &google__protobuf__bytes_value__descriptor,
};

static bool seen_before(const ProtobufCMessageDescriptor *const *set, size_t n,
                        const ProtobufCMessageDescriptor *md)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == md)
			return true;
	return false;
}

const ProtobufCMessageDescriptor *mg_xds_type_lookup(const char *name)
{
	const ProtobufCMessageDescriptor *seen[MAX_TYPES];
	const char *slash = strrchr(name, '/');
	size_t n = 0, next = 0, i;
	unsigned f;

	if (slash)
		name = slash + 1;
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (!seen_before(seen, n, roots[i]))
			seen[n++] = roots[i];
	/* Breadth first over message-typed fields; seen[] doubles as the queue. */
	for (; next < n; next++) {
		const ProtobufCMessageDescriptor *md = seen[next];

		if (!strcmp(md->name, name))
			return md;
		for (f = 0; f < md->n_fields; f++) {
			const ProtobufCMessageDescriptor *sub = md->fields[f].descriptor;

			if (md->fields[f].type == PROTOBUF_C_TYPE_MESSAGE && n < MAX_TYPES &&
			    !seen_before(seen, n, sub))
				seen[n++] = sub;
		}
	}
	return NULL;
}

int mg_xds_type_url(const ProtobufCMessageDescriptor *desc, char *buf, size_t len)
{
	int n = snprintf(buf, len, MG_XDS_TYPE_URL_PREFIX "%s", desc->name);

	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int mg_xds_pack_any(const ProtobufCMessage *msg, Google__Protobuf__Any **out)
{
	Google__Protobuf__Any *any = malloc(sizeof(*any));
	size_t ulen = strlen(MG_XDS_TYPE_URL_PREFIX) + strlen(msg->descriptor->name) + 1;
	size_t len = protobuf_c_message_get_packed_size(msg);

	*out = NULL;
	if (!any)
		return -ENOMEM;
	google__protobuf__any__init(any);
	any->type_url = malloc(ulen);
	any->value.data = malloc(len ? len : 1);
	if (!any->type_url || !any->value.data) {
		free(any->type_url);
		free(any->value.data);
		free(any);
		return -ENOMEM;
	}
	mg_xds_type_url(msg->descriptor, any->type_url, ulen);
	any->value.len = protobuf_c_message_pack(msg, any->value.data);
	*out = any;
	return 0;
}

int mg_xds_unpack_any(const Google__Protobuf__Any *any, const ProtobufCMessageDescriptor *expect,
                      ProtobufCMessage **out)
{
	const ProtobufCMessageDescriptor *md =
	    mg_xds_type_lookup(any->type_url ? any->type_url : "");

	*out = NULL;
	if (!md)
		return -ENOENT;
	if (expect && md != expect)
		return -EPROTOTYPE;
	*out = protobuf_c_message_unpack(md, NULL, any->value.len, any->value.data);
	return *out ? 0 : -EBADMSG;
}

/* Largest |seconds| of a google.protobuf.Duration: 10,000 years. */
#define DURATION_MAX_SECONDS 315576000000LL

int mg_xds_parse_duration(const char *s, int64_t *sec, int32_t *nanos)
{
	bool neg = *s == '-';
	int64_t secs = 0;
	int32_t ns = 0;
	int digits = 0;

	s += neg;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		secs = secs * 10 + (*s - '0');
		if (secs > DURATION_MAX_SECONDS)
			return -EINVAL;
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			if (++digits > 9)
				return -EINVAL;
			ns = ns * 10 + (*s - '0');
		}
		if (!digits)
			return -EINVAL;
		for (; digits < 9; digits++)
			ns *= 10;
	}
	if (s[0] != 's' || s[1])
		return -EINVAL;
	*sec = neg ? -secs : secs;
	*nanos = neg ? -ns : ns;
	return 0;
}

int mg_xds_err_format(const struct mg_xds_err *err, const char *source, char *buf, size_t len)
{
	const char *sep = err->path[0] ? ": " : "";

	if (source && *source && err->line)
		return snprintf(buf, len, "%s:%u:%u: %s%s%s", source, err->line, err->column,
		                err->path, sep, err->msg);
	return snprintf(buf, len, "%s%s%s", err->path, sep, err->msg);
}

void mg_xds_free(ProtobufCMessage *msg)
{
	if (msg)
		protobuf_c_message_free_unpacked(msg, NULL);
}

enum mg_xds_wkt mg_xds_wkt_kind(const ProtobufCMessageDescriptor *md)
{
	const char *name = md->name;
	size_t len = strlen(name);

	if (strncmp(name, "google.protobuf.", 16))
		return MG_WK_NONE;
	name += 16;
	if (!strcmp(name, "Duration"))
		return MG_WK_DURATION;
	if (!strcmp(name, "Any"))
		return MG_WK_ANY;
	if (!strcmp(name, "Struct"))
		return MG_WK_STRUCT;
	if (!strcmp(name, "Value"))
		return MG_WK_VALUE;
	if (!strcmp(name, "ListValue"))
		return MG_WK_LIST;
	if (len > 21 && !strcmp(md->name + len - 5, "Value") && md->n_fields == 1 &&
	    !strcmp(md->fields[0].name, "value"))
		return MG_WK_WRAPPER;
	return MG_WK_NONE;
}

bool mg_xds_is_map(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *e = f->descriptor;
	size_t len;

	if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
		return false;
	len = strlen(e->short_name);
	return e->n_fields == 2 && len > 5 && !strcmp(e->short_name + len - 5, "Entry") &&
	       e->fields[0].id == 1 && !strcmp(e->fields[0].name, "key") && e->fields[1].id == 2 &&
	       !strcmp(e->fields[1].name, "value");
}
