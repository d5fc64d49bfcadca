"""Population forms and input kinds are registered objects on each side, and the two sides describe the same ones."""

from __future__ import annotations

import doctest

import pytest

import numerics
import numerics.populations
import theory
import theory.populations
from numerics.errors import InputError as NumericInputError
from theory.errors import InputError as TheoryInputError


def test_doctests_of_both_registries():
    for module in (numerics.populations, theory.populations):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_both_sides_register_the_same_forms_and_input_kinds_alike():
    assert set(numerics.POPULATIONS) == set(theory.populations.POPULATIONS)
    for name, form in numerics.POPULATIONS.items():
        assert form.scalar_output == theory.populations.POPULATIONS[name].scalar_output, name
    assert set(numerics.INPUT_KINDS) == set(theory.spec.INPUT_KINDS)


@pytest.mark.parametrize("name", numerics.ARCHITECTURE_NAMES)
def test_every_registration_names_a_registered_form_read_off_alike_on_both_sides(name):
    defaults = numerics.build_architecture(name).sizes
    # d_in = 3 where there is one, so that M's shape is not square for the forms whose M is d_out × d_in
    arch = numerics.build_architecture(name, **{**defaults, **({"d_in": 3} if "d_in" in defaults else {})})
    spec = theory.build(name, **arch.sizes)
    assert arch.population_kind == spec.population
    assert arch.input_dim == spec.input_dim and arch.output_dim == spec.output_dim
    assert arch.is_attention == numerics.INPUT_KINDS[spec.input_kind].in_context
    if arch.population is None:
        assert arch.population_task is None and not arch.linear_in_x
        return
    # The form's task type is the population task whose default symbolic instance theory builds for the spec, and
    # the numeric effective matrix has the shape the form says.
    assert type(theory.default_task(spec)).__name__ == arch.population_task.__name__
    theta = numerics.init_params(arch, 0.3, seed=1, n_seeds=2)
    assert arch.effective_matrix(theta).shape[1:] == arch.population.matrix_shape(arch.input_dim, arch.output_dim)


def test_a_scalar_only_form_is_dropped_for_a_vector_output_on_both_sides():
    """The quadratic form f = xᵀMx needs d_out = 1: with d_out = 2 neither side gives the quadratic net one."""
    assert numerics.build_architecture("quadratic", d_out=2).population is None
    assert theory.build("quadratic", d_out=2).population is None
    assert numerics.build_architecture("quadratic", d_out=1).population.scalar_output


@pytest.mark.parametrize(("build", "error"), [(numerics.build_architecture, NumericInputError),
                                              (theory.build, TheoryInputError)])
def test_a_bias_is_refused_by_a_family_without_one_naming_those_with_one(build, error):
    with pytest.raises(error, match=r"bias.*only the fc family takes a bias \(not conv\)"):
        build("conv", activation="tanh(z)", bias=True)
    build("fc", activation="tanh(z)", bias=True)  # the family with one takes it
