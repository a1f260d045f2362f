//! Where an account's voicemail is kept (IMAP) and how to reach it: the configuration's
//! voicemail section turned into a `voicelamp_mailbox` account, with its password from the
//! account's password source and the offline journal and audio cache in the OS data and cache
//! directories.
