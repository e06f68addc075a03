/*
 * xds_pvt.h — what the xDS decoder (decode.c) and encoder (encode.c) share:
 * the well-known types with a JSON form of their own, and map fields.
 */
#ifndef MG_XDS_PVT_H
#define MG_XDS_PVT_H

#include <stdbool.h>

#include <protobuf-c/protobuf-c.h>

/* Well-known types with their own JSON form. */
enum mg_xds_wkt {
	MG_WK_NONE,
	MG_WK_DURATION,
	MG_WK_WRAPPER,
	MG_WK_ANY,
	MG_WK_STRUCT,
	MG_WK_VALUE,
	MG_WK_LIST
};

/** Which well-known type md is, or MG_WK_NONE. */
enum mg_xds_wkt mg_xds_wkt_kind(const ProtobufCMessageDescriptor *md);

/** Is f a proto3 map (a repeated FooEntry message with key 1 and value 2)? */
bool mg_xds_is_map(const ProtobufCFieldDescriptor *f);

#endif /* MG_XDS_PVT_H */
