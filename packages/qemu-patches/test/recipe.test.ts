import { describe, expect, it } from "vitest";
import { planBuild } from "../src/build.js";
import { defaultPatchesDir } from "../src/paths.js";
import {
  BUILD_TARGETS,
  CONFIGURE_FLAGS,
  DEVICE_CONFIG,
  ORIG_TARBALL_SHA256,
  SOURCE_FIXUPS,
} from "../src/pins.js";
import { qemuBuildRecipe } from "../src/recipe.js";
import { buildKey, loadSeries } from "../src/series.js";

describe("qemuBuildRecipe", () => {
  const recipe = qemuBuildRecipe();

  it("carries the host build's flags, fixups, device set and targets unchanged", () => {
    expect(recipe.configureFlags).toEqual(CONFIGURE_FLAGS);
    expect(recipe.fixups).toEqual(SOURCE_FIXUPS);
    expect(recipe.deviceConfig).toEqual(DEVICE_CONFIG);
    expect(recipe.buildTargets).toEqual(BUILD_TARGETS);
  });

  it("keys the build like build() keys a build of Debian's tarball, so qemuBinaryPath() finds it", () => {
    const series = loadSeries(defaultPatchesDir());
    expect(recipe.key).toBe(buildKey(ORIG_TARBALL_SHA256, series.patches));
    expect(recipe.stamp.key).toBe(recipe.key);
    expect(recipe.patches).toEqual(series.patches.map((patch) => patch.name));
    expect(recipe.patches).not.toContain("0000-cover-letter.patch");
  });

  it("matches planBuild() for the pinned Debian source", () => {
    const planned = planBuild({ env: {} });
    expect(planned.source.kind).toBe("debian");
    expect(recipe.key).toBe(planned.key);
  });

  it("survives a JSON round trip (the builder stage reads it with python3)", () => {
    expect(JSON.parse(JSON.stringify(recipe))).toEqual(recipe);
  });
});
