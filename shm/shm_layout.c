#include "shm/shm_layout.h"

const char *shm_kind_name(uint32_t kind)
{
	switch (kind) {
	case SHM_KIND_INSTRUMENTS:
		return "instruments";
	case SHM_KIND_BOARD:
		return "board";
	case SHM_KIND_RING:
		return "ring";
	case SHM_KIND_COUNTERS:
		return "counters";
	case SHM_KIND_HISTS:
		return "hists";
	case SHM_KIND_CLOCK:
		return "clock";
	case SHM_KIND_ATR:
		return "atr";
	case SHM_KIND_POSITIONS:
		return "positions";
	default:
		return "unknown";
	}
}

const char *shm_role_name(uint32_t role)
{
	switch (role) {
	case SHM_ROLE_NONE:
		return "-";
	case SHM_ROLE_QUOTES:
		return "quotes";
	case SHM_ROLE_EVENTS:
		return "events";
	case SHM_ROLE_SCRATCH:
		return "scratch";
	case SHM_ROLE_POSCTL:
		return "posctl";
	case SHM_ROLE_AUDIT:
		return "audit";
	case SHM_ROLE_CTL:
		return "ctl";
	default:
		return "unknown";
	}
}

const char *shm_state_name(uint32_t state)
{
	static const char *const names[] = {"SAFE",        "SCANNING", "ANALYZING",   "ORDERING",
					    "MONITORING",  "CLOSING",  "RECONCILING", "EMERGENCY",
					    "MAINTENANCE", "AUDIT"};
	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}
