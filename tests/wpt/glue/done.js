// Loaded after the test script, as WPT's generated *.any.worker.js wrappers do: no more
// subtests will be added, so the harness completes once the pending ones settle.
done();
