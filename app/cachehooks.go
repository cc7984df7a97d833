package app

import "github.com/carebook/carebook/storage"

// InstallCacheHooks installs in st what the app's writes to a cache need:
// the search indexer (IndexForSearch), the own date of each result, whose
// month storage keeps in clear (ownDate), and the watcher keeping the last
// check-up in step with the Encounters written (writeWatcher). The app
// installs them on every cache it opens; code that writes a cache without
// an App (the sync benchmarks) calls it to write as the app does.
func InstallCacheHooks(st *storage.Store) {
	st.SetSearchIndexer(IndexForSearch)
	st.SetDateOf(ownDate)
	st.SetWriteWatcher(writeWatcher)
}
