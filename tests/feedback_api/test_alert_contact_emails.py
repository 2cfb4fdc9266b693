"""Alert e-mail addresses as the office registers them: one address each (never a list or a
display name), checked with a Chinese message, and the same mailbox not registered twice for one
unit when typed in other capitals."""

import pytest

from feedback_api.models import Unit
from feedback_api.services import alert_contacts
from feedback_api.services.errors import Conflict, ValidationError


def _unit(s):
    return s.query(Unit).filter(Unit.code == "CD-SW").one()


@pytest.mark.parametrize("email", ["a@b.cn,c@d.cn", "a@b.cn;c@d.cn", "张三 <a@b.cn>", "a@@b.cn",
                                   "a@.cn", "a@b.", "a@b..cn", '"a"@b.cn', "a\u200b@b.cn", "@b.cn"])
def test_an_address_that_is_not_one_mailbox_is_refused(db, district, email):
    with db() as s, pytest.raises(ValidationError) as err:
        alert_contacts.add_contact(None, _unit(s), email)
    assert err.value.message == "电子邮箱格式不正确"


def test_the_same_mailbox_in_other_capitals_is_already_registered(db, district):
    with db() as s:
        alert_contacts.add_contact(None, _unit(s), "Zhang.San@Example.cn")
        with pytest.raises(Conflict) as err:
            alert_contacts.add_contact(None, _unit(s), "zhang.san@example.CN")
        assert "已登记" in err.value.message
        assert alert_contacts.add_contact(None, _unit(s), "li.si@example.cn").email == "li.si@example.cn"
