/* Errors are negative errno values throughout mnemo (see STYLE.md). The codes the
 * project gives a meaning beyond libc's text are listed here, once. */
#pragma once

/* -EINVAL    a request or value is invalid
 * -EILSEQ    text is not valid UTF-8 (or holds a NUL)
 * -EPROTO    a message is not a decodable Envelope
 * -ENOTSUP   the Envelope version or a feature is not supported
 * -EMSGSIZE  a message, body, text or list is over its limit
 * -ENOENT    no such unit or path
 * -EEXIST    an idempotency key was reused with another payload
 * -ETIMEDOUT a deadline passed
 * -EAGAIN    no peer (worker, store) is reachable now
 * -ENOMEM    out of memory, or a per-request memory budget is spent */

/* Text for a negative errno; never NULL. */
const char *mnemo_strerror(int r);
