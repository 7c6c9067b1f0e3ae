// The signing capability (issue #5) exports from here.
export {};
