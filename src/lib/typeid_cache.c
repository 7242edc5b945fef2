/*
 * typeid_cache.c - libmagic's answers for small contents, remembered.
 *
 * DESCRIPTION
 *	libmagic walks its whole database for text, 0.2 to 0.9 ms per call
 *	here whatever the length, and libclamav reports every member of an
 *	archive or document to the file-inspection callback, which types
 *	each one: a Word document's nine XML members cost more than
 *	libclamav's own scan of it. Those members are mostly the same bytes
 *	in every document a program writes ([Content_Types].xml, _rels/.rels,
 *	the theme...). libmagic's MIME type is a function of the bytes it is
 *	given (one database, fixed flags), so the answer for a content of up
 *	to CACHE_MAX_BYTES is kept, keyed by the whole content and compared
 *	byte for byte: a different content never gets another one's answer,
 *	however its hash collides. At most CACHE_MAX_ENTRIES answers are kept
 *	(2 MiB of keys at worst); when full the cache starts over. Each type
 *	table (one per configuration load) has its own cache, so a new magic
 *	database after a reload starts empty.
 *
 * THREADS
 *	One mutex around the table; libmagic runs outside it.
 */
#include "typeid_private.h"

#include <string.h>

#define CACHE_MAX_ENTRIES 256
#define CACHE_MAX_BYTES   (8 * 1024)

void al_typeid_cache_init(struct al_typeid *typeid)
{
	g_mutex_init(&typeid->cache_lock);
	typeid->cache = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
					      (GDestroyNotify)g_bytes_unref, g_free);
}

void al_typeid_cache_clear(struct al_typeid *typeid)
{
	if (typeid->cache == NULL)
		return;
	g_hash_table_destroy(typeid->cache);
	typeid->cache = NULL;
	g_mutex_clear(&typeid->cache_lock);
}

char *al_typeid_cache_get(struct al_typeid *typeid, const void *data, gsize len)
{
	g_autoptr(GBytes) key = NULL;
	char *type = NULL;

	if (len == 0 || len > CACHE_MAX_BYTES)
		return NULL;
	key = g_bytes_new_static(data, len);
	g_mutex_lock(&typeid->cache_lock);
	type = g_strdup(g_hash_table_lookup(typeid->cache, key));
	if (type != NULL)
		typeid->cache_hits++;
	else
		typeid->cache_misses++;
	g_mutex_unlock(&typeid->cache_lock);
	return type;
}

void al_typeid_cache_put(struct al_typeid *typeid, const void *data, gsize len, const char *type)
{
	if (len == 0 || len > CACHE_MAX_BYTES)
		return;
	g_mutex_lock(&typeid->cache_lock);
	if (g_hash_table_size(typeid->cache) >= CACHE_MAX_ENTRIES)
		g_hash_table_remove_all(typeid->cache);
	g_hash_table_replace(typeid->cache, g_bytes_new(data, len), g_strdup(type));
	g_mutex_unlock(&typeid->cache_lock);
}

void al_typeid_cache_stats(struct al_typeid *typeid, guint64 *hits_r, guint64 *misses_r)
{
	g_mutex_lock(&typeid->cache_lock);
	*hits_r = typeid->cache_hits;
	*misses_r = typeid->cache_misses;
	g_mutex_unlock(&typeid->cache_lock);
}
