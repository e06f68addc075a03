/*
 * ads_types.h — the gateway's ADS client: its protocol state (socket-free,
 * ads_proto.c) and its connection (ads_client.c).  API in ads_client.h.
 */
#ifndef MG_ADS_TYPES_H
#define MG_ADS_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

struct Envoy__Config__Core__V3__Node;
struct Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources;
struct Envoy__Service__Discovery__V3__DiscoveryRequest;
struct mg_snapshot;

/* The four resource types, in the order a stream subscribes them. */
#define MG_ADS_TYPES(X)                                                 \
	X(CDS, "cds", "envoy.config.cluster.v3.Cluster")                \
	X(EDS, "eds", "envoy.config.endpoint.v3.ClusterLoadAssignment") \
	X(LDS, "lds", "envoy.config.listener.v3.Listener")              \
	X(RDS, "rds", "envoy.config.route.v3.RouteConfiguration")

enum mg_ads_type {
#define X(e, s, m) MG_ADS_##e,
	MG_ADS_TYPES(X)
#undef X
	    MG_ADS_N_TYPES
};

/* The connection's states, with their names. */
#define MG_ADS_STATES(X)                                                 \
	X(IDLE, "idle")             /* not started */                    \
	X(CONNECTING, "connecting") /* TCP connect in progress */        \
	X(STREAMING, "streaming")   /* HTTP/2 up, the ADS stream open */ \
	X(BACKOFF, "backoff")       /* waiting to reconnect */

enum mg_ads_state_id {
#define X(e, s) MG_ADS_ST_##e,
	MG_ADS_STATES(X)
#undef X
	    MG_ADS_N_STATES
};

/* Counters, in the order /ads shows them. */
#define MG_ADS_COUNTERS(X)                                                               \
	X(connects)      /* TCP connections established */                               \
	X(connect_fail)  /* connection attempts that failed */                           \
	X(disconnects)   /* connections or streams lost after being up */                \
	X(responses)     /* DiscoveryResponses handled */                                \
	X(acks)          /* responses ACKed */                                           \
	X(nacks)         /* responses NACKed */                                          \
	X(bad_messages)  /* messages that were not a DiscoveryResponse (stream reset) */ \
	X(unknown_types) /* responses for a type never subscribed (ignored) */           \
	X(requests)      /* DiscoveryRequests sent */                                    \
	X(snapshots)     /* snapshots compiled and applied */

struct mg_ads_counters {
#define X(n) uint64_t n;
	MG_ADS_COUNTERS(X)
#undef X
};

/** A resource as accepted: shared (refcounted) by the warm and live sets. */
struct mg_ads_res {
	unsigned refs;
	char *name;
	/** the EDS name an EDS cluster needs, the RDS name a listener needs, or NULL */
	char *dep;
	/** Cluster, ClusterLoadAssignment, Listener or RouteConfiguration */
	ProtobufCMessage *msg;
	uint64_t hash;            /**< FNV-1a of the Any's bytes: a resend is recognised */
	char *version;            /**< version_info of the response that brought it */
	uint64_t last_updated_ms; /**< wall clock (ms since the epoch) it was accepted */
};

/** A set of resources of one type, sorted by name. */
struct mg_ads_set {
	struct mg_ads_res **v;
	size_t n;
};

/** A list of names (EDS/RDS subscriptions), sorted, unique. */
struct mg_ads_names {
	char **v;
	size_t n;
};

/** Per-type xDS state. */
struct mg_ads_type_state {
	char *acked_version; /**< version_info last ACKed ("" before any) */
	char *nonce;         /**< nonce of the last response ("" before any) */
	char *last_error;    /**< error_detail of the last NACK ("" if none) */
	char *live_version;  /**< version of this type in the applied snapshot */
	uint64_t live_updated_ms;
	bool subscribed;           /**< requested on this stream */
	bool received;             /**< a response was accepted (ever) */
	struct mg_ads_names names; /**< subscribed names (EDS/RDS); wildcard for CDS/LDS */
	struct mg_ads_set warm;    /**< accepted resources, maybe not applied yet */
	struct mg_ads_set live;    /**< the resources the applied snapshot holds */
	uint64_t acks, nacks;
};

/**
 * Applies a compiled snapshot; takes ownership of s whatever it returns.
 * @return 0, or -errno (the response is then NACKed)
 */
typedef int (*mg_ads_apply_fn)(void *arg, struct mg_snapshot *s, char *err, size_t errlen);

/** Most requests one response (or a stream start) makes the client send. */
#define MG_ADS_MAX_OUT 8

/** Requests to send, in order; owned (mg_ads_out_reset() frees them). */
struct mg_ads_out {
	struct Envoy__Service__Discovery__V3__DiscoveryRequest *req[MG_ADS_MAX_OUT];
	size_t n;
};

/** The protocol state of one gateway's ADS client (no sockets). */
struct mg_ads_proto {
	const struct Envoy__Config__Core__V3__Node *node; /**< borrowed; sent first */
	/** borrowed: compiled together with the dynamic resources; may be NULL */
	const struct Envoy__Config__Bootstrap__V3__Bootstrap__StaticResources *sr;
	bool want_cds, want_lds;
	bool node_sent; /**< on this stream */
	mg_ads_apply_fn apply;
	void *apply_arg;
	uint64_t next_version;    /**< snapshot versions: 2, 3, … (the static one is 1) */
	uint64_t (*now_ms)(void); /**< wall clock; tests may replace it */
	struct mg_ads_type_state t[MG_ADS_N_TYPES];
	struct mg_ads_counters cnt;
	bool warming_logged;
};

#endif /* MG_ADS_TYPES_H */
