from django import forms

from surveys.models import Question

Kind = Question.Kind
RATINGS = [(n, str(n)) for n in range(1, 6)]
SCORES = [(n, str(n)) for n in range(0, 11)]
YES_NO = [("yes", "Yes"), ("no", "No")]


def field_name(question: Question) -> str:
    return f"q{question.pk}"


def _field(question: Question) -> forms.Field:
    common = {"label": question.text, "required": question.required}
    if question.kind == Kind.RATING:
        return forms.TypedChoiceField(
            choices=RATINGS,
            coerce=int,
            widget=forms.RadioSelect,
            help_text="1 is poor, 5 is excellent.",
            **common,
        )
    if question.kind == Kind.SCORE:
        return forms.TypedChoiceField(
            choices=SCORES,
            coerce=int,
            widget=forms.RadioSelect,
            help_text="0 is not at all likely, 10 is extremely likely.",
            **common,
        )
    if question.kind == Kind.YES_NO:
        return forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **common)
    if question.kind == Kind.CHOICE:
        choices = [(c, c) for c in question.choice_list]
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=2000, **common)


class ResponseForm(forms.Form):
    """The survey's questions in order, a field each."""

    def __init__(self, *args, questions: list[Question], rating: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        first_rating = next((q for q in questions if q.kind == Kind.RATING), None)
        for question in questions:
            self.fields[field_name(question)] = _field(question)
        # The score clicked in the mail, chosen and nothing more: a GET saves nothing.
        if first_rating is not None and rating in {str(n) for n, _ in RATINGS}:
            self.initial[field_name(first_rating)] = int(rating)

    def answers(self) -> dict[int, object]:
        return {q.pk: self.cleaned_data.get(field_name(q)) for q in self.questions}
