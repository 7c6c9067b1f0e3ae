// The transparency-log capability (issue #7) exports from here.
export {};
