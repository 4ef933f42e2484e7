/* Opening nng sockets with their limits, and nng's error codes as errno. */
#include <errno.h>

#include "msg.h" /* before nng's protocol headers, which need nng.h */

#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

int
mnemo_err_from_nng(int nng_rv)
{
	if (nng_rv == 0) {
		return 0;
	}
	if (nng_rv & NNG_ESYSERR) {
		return -(nng_rv & ~NNG_ESYSERR);
	}
	switch (nng_rv) {
	case NNG_EINTR:
		return -EINTR;
	case NNG_ENOMEM:
		return -ENOMEM;
	case NNG_EINVAL:
	case NNG_EADDRINVAL:
		return -EINVAL;
	case NNG_EBUSY:
		return -EBUSY;
	case NNG_ETIMEDOUT:
		return -ETIMEDOUT;
	case NNG_ECONNREFUSED:
		return -ECONNREFUSED;
	case NNG_ECLOSED:
		return -ESHUTDOWN;
	case NNG_EAGAIN:
		return -EAGAIN;
	case NNG_ENOTSUP:
		return -ENOTSUP;
	case NNG_EADDRINUSE:
		return -EADDRINUSE;
	case NNG_ESTATE:
		return -EBADFD;
	case NNG_ENOENT:
		return -ENOENT;
	case NNG_EPROTO:
		return -EPROTO;
	case NNG_EUNREACHABLE:
		return -EHOSTUNREACH;
	case NNG_EPERM:
		return -EACCES;
	case NNG_EMSGSIZE:
		return -EMSGSIZE;
	case NNG_ECONNABORTED:
		return -ECONNABORTED;
	case NNG_ECONNRESET:
		return -ECONNRESET;
	case NNG_ECANCELED:
		return -ECANCELED;
	case NNG_ENOFILES:
		return -EMFILE;
	case NNG_ENOSPC:
		return -ENOSPC;
	case NNG_EEXIST:
		return -EEXIST;
	default:
		return -EIO;
	}
}

int
mnemo_msg_socket_open(enum mnemo_msg_role role, const struct mnemo_msg_socket_config *cfg,
		      nng_socket *ret)
{
	nng_socket s;
	int rv;

	switch (role) {
	case MNEMO_MSG_REQ:
		rv = nng_req0_open(&s);
		break;
	case MNEMO_MSG_REP:
		rv = nng_rep0_open(&s);
		break;
	case MNEMO_MSG_PUB:
		rv = nng_pub0_open(&s);
		break;
	case MNEMO_MSG_SUB:
		rv = nng_sub0_open(&s);
		break;
	default:
		return -EINVAL;
	}
	if (rv != 0) {
		return mnemo_err_from_nng(rv);
	}
	/* Without a limit nng 1.5.2 accepts any length prefix and grows its buffer as data
	 * trickles in; with one, an oversized frame closes the pipe at its header. */
	rv = nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, cfg->max_message_bytes);
	if (rv == 0 && role == MNEMO_MSG_REQ && cfg->resend_ms > 0) {
		rv = nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, (nng_duration)cfg->resend_ms);
	}
	if (rv == 0 && role == MNEMO_MSG_SUB) {
		rv = nng_socket_set(s, NNG_OPT_SUB_SUBSCRIBE, "", 0);
	}
	if (rv == 0 && (role == MNEMO_MSG_SUB || role == MNEMO_MSG_PUB)) {
		/* Room for bursts; losses past this are expected and repaired by seq. */
		rv = nng_socket_set_int(s, role == MNEMO_MSG_SUB ? NNG_OPT_RECVBUF : NNG_OPT_SENDBUF,
					cfg->queue_len != 0 ? (int)cfg->queue_len : 1024);
	}
	/* Reconnect quickly after a peer restarts, without hammering a dead address. */
	if (rv == 0) {
		rv = nng_socket_set_ms(s, NNG_OPT_RECONNMINT, 50);
	}
	if (rv == 0) {
		rv = nng_socket_set_ms(s, NNG_OPT_RECONNMAXT, 2000);
	}
	if (rv != 0) {
		nng_close(s);
		return mnemo_err_from_nng(rv);
	}
	*ret = s;
	return 0;
}

int
mnemo_msg_listen(nng_socket s, const char *url)
{
	return mnemo_err_from_nng(nng_listen(s, url, NULL, 0));
}

int
mnemo_msg_dial(nng_socket s, const char *url)
{
	return mnemo_err_from_nng(nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK));
}

static void
on_pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct mnemo_msg_peers *peers = arg;

	if (ev == NNG_PIPE_EV_ADD_POST) {
		atomic_fetch_add(&peers->count, 1);
	} else if (ev == NNG_PIPE_EV_REM_POST) {
		atomic_fetch_sub(&peers->count, 1);
	}
}

int
mnemo_msg_track_peers(nng_socket s, struct mnemo_msg_peers *peers)
{
	int rv;

	atomic_store(&peers->count, 0);
	rv = nng_pipe_notify(s, NNG_PIPE_EV_ADD_POST, on_pipe_event, peers);
	if (rv == 0) {
		rv = nng_pipe_notify(s, NNG_PIPE_EV_REM_POST, on_pipe_event, peers);
	}
	return mnemo_err_from_nng(rv);
}

int
mnemo_msg_publish(nng_socket pub, const Mnemo__Envelope *env, size_t max_bytes)
{
	nng_msg *msg;
	int r;

	r = mnemo_msg_encode(env, max_bytes, &msg);
	if (r < 0) {
		return r;
	}
	r = mnemo_err_from_nng(nng_sendmsg(pub, msg, NNG_FLAG_NONBLOCK));
	if (r < 0) {
		nng_msg_free(msg); /* not sent, so still ours */
	}
	return r;
}
