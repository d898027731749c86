package store

import (
	"encoding/binary"
	"fmt"

	"go.etcd.io/bbolt"
)

// schemaVersion is bumped whenever the on-disk layout changes incompatibly;
// older files are migrated in prepareSchema, newer ones are refused.
//
//	1: the first layout.
//	2: outbound records carry a Priority; the due index is keyed by its rank first.
const schemaVersion = 2

var (
	bucketMeta = []byte("meta")
	bucketExt  = []byte("ext")

	bucketFingerprints   = []byte("fp")
	bucketFingerprintsAt = []byte("fp_at")

	bucketMessages     = []byte("msg")
	bucketMsgHandledAt = []byte("msg_handled_at")
	bucketMsgDeferred  = []byte("msg_deferred_until")
	bucketSets         = []byte("sets")
	bucketSetsFirst    = []byte("sets_first")

	bucketOutbox         = []byte("out")
	bucketOutDue         = []byte("out_due")
	bucketOutSubmittedAt = []byte("out_submitted_at")

	bucketReplyLog = []byte("replylog")

	bucketOfficers = []byte("officers") // phone (E.164) -> Officer

	keySchemaVersion = []byte("schema_version")
	keyConcatRef     = []byte("concat_ref")
	keyFairShare     = []byte("out_fair_share") // sends each outbox class waited (see NextDue)
)

var messageStates = []MessageState{MessagePending, MessageHandled, MessageParked, MessageDeferred}

var outStates = []OutState{OutQueued, OutSubmitting, OutSubmitted, OutUnknown, OutFailed}

// msgStateBucket is the index of message ids in one state; flat top-level
// buckets keep Stats().KeyN an exact count.
func msgStateBucket(s MessageState) []byte { return []byte("msg_state_" + string(s)) }

func outStateBucket(s OutState) []byte { return []byte("out_state_" + string(s)) }

func allBuckets() [][]byte {
	names := [][]byte{
		bucketMeta, bucketExt, bucketFingerprints, bucketFingerprintsAt,
		bucketMessages, bucketMsgHandledAt, bucketMsgDeferred, bucketSets, bucketSetsFirst,
		bucketOutbox, bucketOutDue, bucketOutSubmittedAt, bucketReplyLog,
		bucketOfficers,
	}
	for _, s := range messageStates {
		names = append(names, msgStateBucket(s))
	}
	for _, s := range outStates {
		names = append(names, outStateBucket(s))
	}
	names = append(names, journalBuckets()...)
	return names
}

func prepareSchema(btx *bbolt.Tx, path string) error {
	meta, err := btx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	version := uint64(schemaVersion) // a new file starts at the current layout
	if raw := meta.Get(keySchemaVersion); raw != nil {
		if len(raw) != 8 {
			return fmt.Errorf("state file %s has a malformed schema version; it is not a mifos-edge store or it is damaged", path)
		}
		if version = binary.BigEndian.Uint64(raw); version > schemaVersion {
			return fmt.Errorf("%w: %s has schema version %d but this build understands up to %d; run the newer mifos-edge or restore a backup", ErrSchemaTooNew, path, version, schemaVersion)
		}
	}
	for _, name := range allBuckets() {
		if _, err := btx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s in %s: %w", name, path, err)
		}
	}
	// Migrations run in the same transaction as the version bump: a crash
	// leaves the file as it was, and the next start migrates again.
	if version < 2 {
		if err := migrateOutboxPriorities(btx); err != nil {
			return fmt.Errorf("migrate the outbox of %s to schema 2: %w", path, err)
		}
	}
	return meta.Put(keySchemaVersion, idKey(schemaVersion))
}
