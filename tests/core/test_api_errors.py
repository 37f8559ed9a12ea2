from rest_framework.test import APIRequestFactory

from marketplace.core.api.errors import exception_handler
from marketplace.core.exceptions import Conflict, DomainError, InvalidTransition, NotFound


def _context():
    return {"request": APIRequestFactory().get("/")}


def test_invalid_transition_is_409_with_both_statuses():
    response = exception_handler(
        InvalidTransition(model="listing", current="draft", target="published"), _context()
    )

    assert response.status_code == 409
    assert response.data == {
        "detail": "A listing that is draft cannot become published.",
        "code": "invalid_transition",
        "current_status": "draft",
        "requested_status": "published",
    }


def test_conflict_is_409_with_its_message_and_code():
    response = exception_handler(
        Conflict("The seller is not verified.", code="seller_not_verified"), _context()
    )

    assert response.status_code == 409
    assert response.data == {"detail": "The seller is not verified.", "code": "seller_not_verified"}


def test_domain_error_on_a_field_is_400_with_field_errors():
    response = exception_handler(DomainError("Must be positive.", field="moq"), _context())

    assert response.status_code == 400
    assert response.data == {"moq": ["Must be positive."]}


def test_django_validation_error_dict_is_400_with_field_errors():
    from django.core.exceptions import ValidationError

    response = exception_handler(
        ValidationError({"price_tiers": ["Quantities must strictly rise."]}), _context()
    )

    assert response.status_code == 400
    assert response.data == {"price_tiers": ["Quantities must strictly rise."]}


def test_not_found_is_a_plain_404():
    response = exception_handler(NotFound(), _context())

    assert response.status_code == 404
    assert response.data == {"detail": "Not found."}
