/* SPDX-License-Identifier: BSD-3-Clause */
#include "tq_tcp.h"

static const char *const state_names[TQ_TCPS_MAX] = {
#define TQ_X(s) #s,
	TQ_TCP_STATES(TQ_X)
#undef TQ_X
};

const char *
tq_tcp_state_name(unsigned int state)
{
	return state < TQ_TCPS_MAX ? state_names[state] : "?";
}

/* As ss(8) prints them, for people who read ss every day. */
static const char *const ss_names[TQ_TCPS_MAX] = {
	[TQ_TCPS_CLOSED] = "UNCONN",
	[TQ_TCPS_LISTEN] = "LISTEN",
	[TQ_TCPS_SYN_SENT] = "SYN-SENT",
	[TQ_TCPS_SYN_RECEIVED] = "SYN-RECV",
	[TQ_TCPS_ESTABLISHED] = "ESTAB",
	[TQ_TCPS_CLOSE_WAIT] = "CLOSE-WAIT",
	[TQ_TCPS_FIN_WAIT_1] = "FIN-WAIT-1",
	[TQ_TCPS_CLOSING] = "CLOSING",
	[TQ_TCPS_LAST_ACK] = "LAST-ACK",
	[TQ_TCPS_FIN_WAIT_2] = "FIN-WAIT-2",
	[TQ_TCPS_TIME_WAIT] = "TIME-WAIT",
};

const char *
tq_tcp_state_ss_name(unsigned int state)
{
	return state < TQ_TCPS_MAX ? ss_names[state] : "?";
}

/*
 * First cut of every segment, by state and by SYN/ACK/RST/FIN (index
 * SYN<<3 | ACK<<2 | RST<<1 | FIN).  Only what the flags alone decide is
 * here; sequence and acknowledgment checks follow in the handlers.
 *
 * D: drop, R: reset, P: process
 *   CLOSED (no connection): RFC 9293 3.10.7.1 - RST unless it is a RST.
 *   LISTEN: 3.10.7.2 - RST dropped, any ACK reset, a SYN (only) opens.
 *   SYN_SENT: 3.10.7.3 - needs SYN or ACK; a RST counts only with ACK.
 *   synchronized: 3.10.7.4 - RST goes to the sequence check; without
 *     ACK only a SYN is looked at (RFC 5961 challenge ACK); SYN+FIN and
 *     SYN+RST are nonsense on any state and dropped.
 */
#define C(f) ((((f) & TQ_TH_SYN) ? 8 : 0) | (((f) & TQ_TH_ACK) ? 4 : 0) | \
		(((f) & TQ_TH_RST) ? 2 : 0) | (((f) & TQ_TH_FIN) ? 1 : 0))
#define C4(f) C(f), C((f) + 1), C((f) + 2), C((f) + 3)
const uint8_t tq_tcp_flag_class_tab[32] = {
	C4(0), C4(4), C4(8), C4(12), C4(16), C4(20), C4(24), C4(28),
};
#undef C4
#undef C

#define D TQ_TCP_DROP
#define R TQ_TCP_RESET
#define P TQ_TCP_PROCESS
/*                 ----  ---F  --R-  --RF  -A--  -A-F  -AR-  -ARF
 *                 S---  S--F  S-R-  S-RF  SA--  SA-F  SAR-  SARF */
#define SYNC_ROW { D, D, P, P, P, P, P, P, \
		   P, D, D, D, P, D, D, D }
const uint8_t tq_tcp_action_table[TQ_TCPS_MAX][16] = {
	[TQ_TCPS_CLOSED] =	 { R, R, D, D, R, R, D, D,
				   R, R, D, D, R, R, D, D },
	[TQ_TCPS_LISTEN] =	 { D, D, D, D, R, R, D, D,
				   P, D, D, D, R, R, D, D },
	[TQ_TCPS_SYN_SENT] =	 { D, D, D, D, P, P, P, P,
				   P, D, D, D, P, D, D, D },
	[TQ_TCPS_SYN_RECEIVED] = SYNC_ROW,
	[TQ_TCPS_ESTABLISHED] =	 SYNC_ROW,
	[TQ_TCPS_CLOSE_WAIT] =	 SYNC_ROW,
	[TQ_TCPS_FIN_WAIT_1] =	 SYNC_ROW,
	[TQ_TCPS_CLOSING] =	 SYNC_ROW,
	[TQ_TCPS_LAST_ACK] =	 SYNC_ROW,
	[TQ_TCPS_FIN_WAIT_2] =	 SYNC_ROW,
	[TQ_TCPS_TIME_WAIT] =	 SYNC_ROW,
};
#undef SYNC_ROW
#undef D
#undef R
#undef P
