/*
 * ads_types.h — the types of the controller's ADS side: the resource types
 * it serves, an immutable snapshot of one config generation, and the
 * protocol state of one gateway's stream.  The functions are in
 * ads_state.h (protocol) and ads_server.h (sockets, HTTP/2).
 */
#ifndef MG_CTRL_ADS_TYPES_H
#define MG_CTRL_ADS_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "google/protobuf/any.pb-c.h"

/*
 * The four resource types, in the order a config change is pushed: clusters
 * and their endpoints before the listeners and routes that name them (the
 * xDS protocol's "make before break"), so the X-macro's order is the push
 * order.  X(enum suffix, short name, message name, wildcard allowed)
 */
#define MG_ADS_TYPES(X)                                                        \
	X(CDS, "CDS", "envoy.config.cluster.v3.Cluster", true)                 \
	X(EDS, "EDS", "envoy.config.endpoint.v3.ClusterLoadAssignment", false) \
	X(LDS, "LDS", "envoy.config.listener.v3.Listener", true)               \
	X(RDS, "RDS", "envoy.config.route.v3.RouteConfiguration", false)

enum mg_ads_type {
#define X(e, s, m, w) MG_ADS_##e,
	MG_ADS_TYPES(X)
#undef X
	    MG_ADS_N_TYPES
};

/** Room for a version ("v" + 16 hex digits) or a nonce (decimal u64). */
#define MG_ADS_VERSION_LEN 24

/** One resource of a snapshot: its name and the Any it is sent as. */
struct mg_ads_resource {
	char *name;
	Google__Protobuf__Any *any;
};

/**
 * One config generation, packed once and shared (reference counted) by
 * every stream: a stream that still sends the old generation while a new
 * one is published keeps the old one alive.  Resources of a type are sorted
 * by name.
 */
struct mg_ads_snapshot {
	uint64_t generation;
	unsigned refs;
	struct {
		struct mg_ads_resource *v;
		size_t n;
	} types[MG_ADS_N_TYPES];
};

/** The protocol state of one type on one stream. */
struct mg_ads_type_state {
	bool requested; /**< the client has asked for this type */
	bool pending;   /**< a response is due (subscription or resources changed) */
	bool wildcard;  /**< CDS/LDS with no names: everything */
	char **names;   /**< subscribed names, sorted, unique */
	size_t n_names;
	char sent[MG_ADS_VERSION_LEN];  /**< version of the last response ("" none) */
	char nonce[MG_ADS_VERSION_LEN]; /**< nonce of the last response ("" none) */
	char acked[MG_ADS_VERSION_LEN]; /**< version the client last ACKed ("" none) */
	char *nack;                     /**< error of the last NACK, NULL after an ACK */
	char nack_nonce[MG_ADS_VERSION_LEN];
	char nack_version[MG_ADS_VERSION_LEN]; /**< the version that was rejected */
	uint64_t n_sent, n_acks, n_nacks, n_stale;
};

/** The state of one ADS stream (one gateway). */
struct mg_ads_stream {
	bool has_node;       /**< the first request came, with a node */
	char *node_id;       /**< Node.id */
	char *node_cluster;  /**< Node.cluster */
	char *node_metadata; /**< Node.metadata as a JSON object ("{}" when absent) */
	time_t connected_since;
	uint64_t nonce_counter;       /**< per-stream nonce, incremented per response */
	struct mg_ads_snapshot *snap; /**< the generation being served (a reference) */
	struct mg_ads_type_state t[MG_ADS_N_TYPES];
};

/** What a request was, for the log and the tests. */
enum mg_ads_req_kind {
	MG_ADS_REQ_INITIAL, /**< empty nonce: a new subscription for the type */
	MG_ADS_REQ_ACK,     /**< current nonce, no error */
	MG_ADS_REQ_NACK,    /**< current nonce, error_detail set */
	MG_ADS_REQ_STALE,   /**< a nonce other than the last sent: ignored */
};

/** A response ready to frame; it borrows the snapshot's Anys. */
struct mg_ads_response {
	enum mg_ads_type type;
	Envoy__Service__Discovery__V3__DiscoveryResponse msg;
	Envoy__Config__Core__V3__ControlPlane cp;
	Google__Protobuf__Any **res; /**< owned array, borrowed elements */
	char version[MG_ADS_VERSION_LEN];
	char nonce[MG_ADS_VERSION_LEN];
	char type_url[96];
};

#endif /* MG_CTRL_ADS_TYPES_H */
