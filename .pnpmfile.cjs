// pnpm hooks. beforePacking (pnpm >= 10.28) shapes the package.json that goes into a tarball:
// devDependencies name private workspace packages (@bonsai/tsconfig, ...) and test tools a user
// never needs, so they are dropped; workspace:* dependencies are already replaced by versions.
module.exports = {
  hooks: {
    beforePacking(pkg) {
      delete pkg.devDependencies;
      return pkg;
    },
  },
};
