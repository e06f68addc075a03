/*
 * istio_schema.h — schema tables of the Istio specs (internal to ctrl/).
 *
 * One table per Istio message, in istio_schema.c; istio_load.c walks a
 * resource's `spec` against its kind's table and the envelope's
 * `metadata` against mg_istio_schema_metadata.
 */
#ifndef MG_CTRL_ISTIO_SCHEMA_H
#define MG_CTRL_ISTIO_SCHEMA_H

#include "ctrl/yaml_util.h"

extern const struct mg_yaml_schema mg_istio_schema_metadata;
extern const struct mg_yaml_schema mg_istio_schema_gateway;
extern const struct mg_yaml_schema mg_istio_schema_virtual_service;
extern const struct mg_yaml_schema mg_istio_schema_destination_rule;
extern const struct mg_yaml_schema mg_istio_schema_service_entry;
extern const struct mg_yaml_schema mg_istio_schema_workload_entry;
extern const struct mg_yaml_schema mg_istio_schema_peer_authentication;
extern const struct mg_yaml_schema mg_istio_schema_authorization_policy;

#endif /* MG_CTRL_ISTIO_SCHEMA_H */
