"""Evidence preservation: original bytes, hashes and source metadata of removed (or otherwise
preserved) items, kept content-addressed under RAQIB_HOME/evidence with a chain of custody in
the audit trail, purged when their retention ends (unless on legal hold), exported for a legal
request as a zip bundle with a verifiable manifest.

store      the content-addressed byte store
records    records, their chain of custody, reading the bytes (audited), legal hold
preserve   capture: a case's finding and media, or an investigator's file
retention  the purge of expired evidence, and the service's daily purge thread
export     the legal-request bundle and its verification
"""
