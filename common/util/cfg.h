/* Configuration: defaults, then an INI file, then flags. Every key is declared once in a
 * table (section, name, type, where it goes, bounds); loading checks every value and
 * names the bad key. deploy/mnemo.conf lists every key with its default. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum mnemo_cfg_type {
	MNEMO_CFG_STRING, /* value: char[size] */
	MNEMO_CFG_U32,    /* value: uint32_t, within [min, max] */
	MNEMO_CFG_BYTES,  /* value: uint64_t; accepts k/M/G suffixes (binary), within [min, max] */
	MNEMO_CFG_BOOL,   /* value: int; true/false/yes/no/on/off/1/0 */
};

struct mnemo_cfg_key {
	const char *section;
	const char *name;
	enum mnemo_cfg_type type;
	void *value;
	size_t size; /* MNEMO_CFG_STRING: capacity of the array, NUL included */
	uint64_t min, max;
	const char *help; /* one line, with the unit */
};

/* Sets one key from its text form. -ENOENT: no such key; -EINVAL: bad value (err says why). */
int mnemo_cfg_set(const struct mnemo_cfg_key *keys, size_t n_keys, const char *section,
		  const char *name, const char *value, char *err, size_t err_size);

/* Loads an INI file over the current values. -ENOENT: no file; -EINVAL: a bad line, key or
 * value (err names the file, line and key). */
int mnemo_cfg_load(const struct mnemo_cfg_key *keys, size_t n_keys, const char *path, char *err,
		   size_t err_size);
