// Every test file runs with this: a MaxListenersExceededWarning means listeners pile up on one emitter (a
// listener added per chunk or per request and never removed), which is a leak in the product, not noise.
// It fails the run where it happens instead of scrolling past as a warning.
process.on('warning', (warning) => {
  if (warning.name === 'MaxListenersExceededWarning') {
    throw new Error(`listener leak: ${warning.message}\n${warning.stack ?? ''}`);
  }
});
