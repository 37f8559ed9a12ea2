from django import forms
from django.core.files.uploadedfile import UploadedFile

VERIFY_MAX_BYTES = 20 * 1024 * 1024


class VerificationCodeForm(forms.Form):
    code = forms.CharField(
        label="Verification code",
        max_length=64,
        help_text="The code printed on the document, next to its QR code.",
        error_messages={"required": "Enter the verification code printed on the document."},
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip()


class DocumentCheckForm(forms.Form):
    file = forms.FileField(
        label="PDF to check",
        help_text="The file exactly as you received it (at most 20 MB). It is compared, "
        "byte for byte by its SHA-256 hash, with the one the platform issued; it is not kept.",
        error_messages={
            "required": "Choose the PDF file you want to check.",
            "empty": "The chosen file is empty.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def clean_file(self) -> UploadedFile:
        file = self.cleaned_data["file"]
        if (file.size or 0) > VERIFY_MAX_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB.")
        return file
