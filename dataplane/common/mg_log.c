/* mg_log.c — the "meshgate" DPDK log type. */
#include "common/mg_common.h"

int mg_logtype;

RTE_INIT(mg_log_init)
{
	mg_logtype = rte_log_register_type_and_pick_level("meshgate", RTE_LOG_INFO);
	if (mg_logtype < 0)
		mg_logtype = RTE_LOGTYPE_USER1;
}
